"""Draw once per seed: the examples of a property check, kept between runs (`store`) and
replayed (`replay`). See replay.py for why a report is the same with the cache or without."""
from .replay import run

__all__ = ["run"]
