"""Ana: loss, optimiser and the training loop, my way."""
from engine import Value


def mse_loss(predictions, targets):
    if len(predictions) != len(targets) or not predictions:
        raise ValueError("need as many predictions as targets, and at least one")
    total = Value(0.0)
    for p, t in zip(predictions, targets):
        diff = p - t
        total = total + diff * diff
    return total * (1.0 / len(predictions))


class SGD:
    def __init__(self, params, lr=0.01, weight_decay=0.0):
        self.params = list(params)
        self.lr = lr
        self.weight_decay = weight_decay

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0

    def step(self):
        for p in self.params:
            p.data -= self.lr * (p.grad + self.weight_decay * p.data)


def train(model, xs, ys, epochs=100, lr=0.05, optimizer=None, loss_fn=mse_loss):
    optimizer = optimizer or SGD(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        loss = loss_fn([model(x) for x in xs], ys)
        history.append(loss.data)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return history
