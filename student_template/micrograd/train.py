"""M4: the training loop and a plot of its losses."""

from .losses import mse_loss
from .optim import SGD  # noqa: F401  (you will need it when no optimizer is given)


def train(model, xs, ys, epochs=100, lr=0.05, optimizer=None, loss_fn=mse_loss):
    """Train model on inputs xs and targets ys; return the list of each epoch's loss (floats).

    When optimizer is None, use SGD(model.parameters(), lr=lr). Every epoch:
    forward (predictions = [model(x) for x in xs]) -> loss = loss_fn(predictions, ys)
    -> zero_grad -> loss.backward() -> optimizer.step(). Append float(loss.data).
    Forgetting zero_grad makes every step use the sum of all earlier gradients.
    """
    raise NotImplementedError("M4: implement train (forward, loss, zero_grad, backward, step)")


def plot_losses(history, path):
    """Write a PNG file at path showing loss (y) against epoch (x).

    Use matplotlib with the non-interactive Agg backend (no display is needed), e.g.
    matplotlib.figure.Figure with matplotlib.backends.backend_agg.FigureCanvasAgg.
    """
    raise NotImplementedError("M4: implement plot_losses (PNG of loss against epoch)")
