"""The worker: a fresh, limited, unprivileged Python process that runs submission code.

`client.Sandbox` is the grader's side; `main` is what runs inside the worker process.
Nothing here that runs in the grader imports submission code.
"""
from .client import Sandbox, worker_kind
from .limits import Limits

__all__ = ["Sandbox", "Limits", "worker_kind"]
