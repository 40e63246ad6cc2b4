"""micrograd, the course's reference solution: a scalar autograd engine and a tiny MLP.

Modules: engine (Value), gradcheck, viz, nn (Module, Neuron, Layer, MLP),
losses (mse_loss), optim (SGD), train (train, plot_losses).
"""

from .engine import Value

__all__ = ["Value"]
