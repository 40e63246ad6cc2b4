"""Loss functions: a single Value to call backward() on."""

from .engine import Value


def mse_loss(predictions, targets):
    """Mean of (prediction - target)**2 over all pairs."""
    predictions = list(predictions)
    targets = list(targets)
    if not predictions:
        raise ValueError("mse_loss needs at least one prediction")
    if len(predictions) != len(targets):
        raise ValueError(
            f"mse_loss got {len(predictions)} predictions but {len(targets)} targets"
        )
    # Start from a Value so the result is a Value even when every input is a float.
    total = sum(((p - t) ** 2 for p, t in zip(predictions, targets)), Value(0.0))
    return total / len(predictions)
