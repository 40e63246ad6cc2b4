"""The probes a grader may ask for by name, and how their answers become replies."""
from ..errors import ImportFailed, ImportHung, KitError, Missing, Unavailable
from ..worker.protocol import Answer, CapabilityOff, Failure, KitFault, NameMissing, NotImplementedYet, Raised, Request
from .lookup import describe
from .table import PROBES


def load_probes() -> dict:
    """Import every probe module (each registers its probes on import); the registry."""
    from . import autograd, course, engine, nn, training  # noqa: F401

    return PROBES


def answer(request: Request, probes: dict):
    """Run the requested probe from `probes` (the worker's own copy of the table);
    whatever happens, one reply (worker/protocol.py)."""
    fn = probes.get(request.probe)
    if fn is None:
        return KitFault(f"unknown probe {request.probe!r:.200}")
    try:
        return Answer(fn(**request.args))
    except Missing as e:
        return NameMissing(e.name, e.detail)
    except Unavailable as e:
        return CapabilityOff(e.capability)
    except KitError as e:
        return KitFault(str(e))
    except ImportHung as e:
        return Raised(Failure("ImportError", str(e)))
    except ImportFailed as e:
        return Raised(Failure(**e.error))
    except NotImplementedError as e:
        return NotImplementedYet(Failure(**describe(e)))
    except BaseException as e:  # SystemExit and KeyboardInterrupt too: the worker must answer
        return Raised(Failure(**describe(e)))
