class SGD:
    def __init__(self, params, lr=0.01, weight_decay=0.0):
        self.params, self.lr, self.weight_decay = list(params), lr, weight_decay

    def step(self):
        for p in self.params:
            g = p.grad + self.weight_decay * p.data
            p.data = p.data - self.lr * g

    def zero_grad(self):
        for p in self.params:
            p.grad = 0
