"""Resource limits of a worker, with defaults that a correct submission never meets."""
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 1024
    cpu_seconds: int = 120
    file_size_mb: int = 16
    processes: int = 32
    open_files: int = 256
    output_kb: int = 64
    # All the files a worker writes, together (a tmpfs of this size, when grading as root).
    disk_mb: int = 64
    probe_timeout_s: float = 10.0
    run_timeout_s: float = 300.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Limits":
        data = dict(data or {})
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown limit(s): {', '.join(sorted(unknown))}")
        limits = cls(**data)
        for f in fields(cls):
            if getattr(limits, f.name) <= 0:
                raise ValueError(f"limit {f.name} must be positive")
        if limits.output_kb > 64:
            raise ValueError("output_kb is at most 64")
        return limits
