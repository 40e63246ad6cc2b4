from .engine import Value
