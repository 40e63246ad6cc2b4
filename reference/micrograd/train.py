"""Full-batch training loop and a loss plot."""

from .losses import mse_loss
from .optim import SGD


def train(model, xs, ys, epochs=100, lr=0.05, optimizer=None, loss_fn=mse_loss):
    """Fit model to (xs, ys); returns the loss of every epoch as floats."""
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        predictions = [model(x) for x in xs]
        loss = loss_fn(predictions, ys)
        # Zero before backward(): gradients accumulate, so last epoch's would leak in.
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(float(loss.data))
    return history


def plot_losses(history, path):
    """Write a PNG of loss against epoch to path."""
    # The Agg canvas renders to a file without a display and without touching
    # pyplot's global state.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(range(1, len(history) + 1), history)
    if history and min(history) > 0:
        ax.set_yscale("log")  # losses fall by orders of magnitude
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    fig.tight_layout()
    fig.savefig(path, format="png")
