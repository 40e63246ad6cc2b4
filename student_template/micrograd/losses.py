"""M4: loss functions. A loss is a single Value you can call backward() on."""

from .engine import Value  # noqa: F401  (you will need it: the loss must be a Value)


def mse_loss(predictions, targets):
    """Mean squared error: sum((p - t)**2 for each pair) / number of pairs, as a Value.

    predictions and targets are equally long lists of Values or numbers. Raise
    ValueError when they are empty or their lengths differ (zip would silently drop
    the extra items). The result must be a Value even if every input is a float.
    """
    raise NotImplementedError("M4: implement mse_loss (mean of squared differences)")
