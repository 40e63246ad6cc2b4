"""Plain stochastic gradient descent."""


class SGD:
    def __init__(self, params, lr=0.01, weight_decay=0.0):
        self.params = list(params)
        self.lr = lr
        self.weight_decay = weight_decay

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0

    def step(self):
        # Update .data directly: doing it with Value arithmetic would grow the graph
        # with every step and make the parameters depend on their own history.
        for p in self.params:
            p.data -= self.lr * (p.grad + self.weight_decay * p.data)
