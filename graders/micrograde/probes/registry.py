"""The probes a grader may ask for by name, and how their answers become plain data."""
from ..errors import ImportFailed, ImportHung, KitError, Missing
from .lookup import describe

PROBES = {}


def probe(name: str):
    def register(fn):
        PROBES[name] = fn
        return fn
    return register


def answer(request) -> dict:
    try:
        fn = PROBES[request["probe"]]
        args = request.get("args", {})
    except (KeyError, TypeError):
        return {"error": {"type": "KitError", "message": f"unknown probe request {request!r:.200}", "traceback": []}}
    try:
        return {"ok": fn(**args)}
    except Missing as e:
        return {"missing": e.name, "detail": e.detail}
    except KitError as e:
        return {"error": {"type": "KitError", "message": str(e), "traceback": []}}
    except ImportHung as e:
        return {"error": {"type": "ImportError", "message": str(e), "traceback": []}}
    except ImportFailed as e:
        return {"error": e.error}
    except NotImplementedError as e:
        return {"not_implemented": describe(e)}
    except BaseException as e:  # SystemExit and KeyboardInterrupt too: the worker must answer
        return {"error": describe(e)}
