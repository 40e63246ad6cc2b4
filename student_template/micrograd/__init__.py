"""micrograd: your scalar autograd engine and tiny neural-network library.

Fill in the modules milestone by milestone (run `pytest graders/m1`, then m2, ...):
  M1  engine.py     Value: data, grad, and the arithmetic operators
  M2  engine.py     backward(), relu(), tanh();  gradcheck.py;  viz.py
  M3  nn.py         Module, Neuron, Layer, MLP
  M4  losses.py, optim.py, train.py
Every function here raises NotImplementedError until you replace its body.
"""

from .engine import Value

__all__ = ["Value"]
