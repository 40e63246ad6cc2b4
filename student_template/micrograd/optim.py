"""M4: stochastic gradient descent."""


class SGD:
    """Keeps a list of parameters (Values) and updates them from their gradients."""

    def __init__(self, params, lr=0.01, weight_decay=0.0):
        raise NotImplementedError("M4: implement SGD.__init__ (store params as a list, lr, weight_decay)")

    def zero_grad(self):
        """Set .grad = 0.0 on every parameter. Forgetting it makes gradients pile up."""
        raise NotImplementedError("M4: implement SGD.zero_grad")

    def step(self):
        """For every parameter p: p.data -= lr * (p.grad + weight_decay * p.data).

        Change p.data (a float) directly. `p = p - lr * p.grad` would build new graph
        nodes and leave the model's parameters untouched.
        """
        raise NotImplementedError("M4: implement SGD.step (p.data -= lr * (p.grad + weight_decay * p.data))")
