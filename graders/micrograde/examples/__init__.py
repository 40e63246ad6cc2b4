"""Draw once per seed: a grader's property check (`property_check`), its examples kept
between runs (`store`) and replayed (`replay`). See replay.py for why a report is the same
with the cache or without."""
from .property import property_check
from .replay import run

__all__ = ["property_check", "run"]
