"""Inside the worker process: prepare, isolate, then answer probe requests until EOF.

Started by `client.Sandbox` as `python -I -B -c BOOT TAG`, or forked from a batch's template
worker that has run `_preload` (forkserver.py); its configuration is the first frame it
reads. Everything the grader's own code needs is imported before the submission is put on
sys.path and, when we are root, before privileges are dropped: after that the
interpreter's own tree may be unreadable.
"""
import gc
import os
import sys

from . import audit, fonts
from .watch import Watch

# Modules a micrograd submission may reasonably import. Loaded before the sandbox is
# entered, though the worker could import them later (its root keeps the interpreter and
# its libraries): they are cheap, and loaded now they are frozen out of every collection.
PRELOAD = [
    "abc", "array", "collections", "contextlib", "copy", "dataclasses", "decimal", "enum",
    "fractions", "functools", "heapq", "itertools", "logging", "math", "numbers", "operator", "random",
    "statistics", "string", "struct", "time", "types", "typing", "warnings", "weakref",
    "graphviz",
]
# Plotting costs about a second to import and draw once (the font cache is built in the
# worker's fresh home): only the worker whose checks plot pays for it (client.worker_kind),
# before its start-up deadline rather than inside a probe's.
PLOTTING = ["matplotlib", "matplotlib.pyplot", "matplotlib.figure", "matplotlib.backends.backend_agg", "numpy"]
# The collector while probes run. A training run makes a reference cycle per node (the
# node and its _backward closure); at Python's default thresholds the collector takes
# most of a run's time, rescanning graphs still in use. Rarer young collections still
# bound the garbage a probe can pile up (about this many objects), whatever it does.
PROBE_GC_THRESHOLDS = (500_000, 1, 1)
# Between probes, while the grader checks an answer, the garbage left is collected once
# it is this many objects: off the critical path, and the next probe starts clean.
IDLE_COLLECT_OBJECTS = 20_000


def _warm_up_plotting():
    """Draw once, so the modules that plotting loads lazily are loaded now."""
    import io

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    ax.set_xlabel("epoch")
    ax.set_yscale("log")
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def _warm_up_graphviz():
    import graphviz

    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    dot.node("a", label="{ a | data 1.0000 | grad 0.0000 }", shape="record")
    dot.edge("a", "b")
    _ = dot.source


def _prepare_streams():
    """Keep the protocol on private descriptors; the submission's prints go to the log."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return proto_in, proto_out


# What this process has prepared: a worker forked from a template (worker/forkserver.py)
# finds its preparation done.
_PREPARED = set()


def _preload(plotting: bool):
    if ("plotting" if plotting else "plain") in _PREPARED:
        return
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    warm_ups = [_warm_up_graphviz] + ([_warm_up_plotting] if plotting else [])
    for name in PRELOAD + (PLOTTING if plotting else []):
        try:
            __import__(name)
        except Exception:
            pass
    for warm_up in warm_ups:
        try:
            warm_up()
        except Exception:
            pass
    from ..probes import registry

    registry.load_probes()  # the probes and everything they use, while the kit is readable
    # Keep the preloaded heap (matplotlib, numpy) out of every full garbage collection:
    # a training run makes many cyclic graphs, and the collector would rescan it each time.
    gc.freeze()
    _PREPARED.update(["plotting", "plain"] if plotting else ["plain"])


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _isolate(config, keep) -> str:
    """Enter the sandbox; return the submission's folder as the worker now sees it."""
    from . import facilities, isolation, mounts, processes
    from .limits import Limits

    facilities.current()  # probed now, while every file of the interpreter is readable
    limits = Limits.from_dict(config["limits"])
    submission, scratch, kit = config["submission"], config["scratch"], config["kit_root"]
    prefixes = [sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    # Everything the interpreter may still import from, never a folder of the kit (unless
    # the interpreter itself lives there: a venv inside the checkout).
    uid, minimal_root = config.get("uid"), config.get("minimal_root", False)
    own = [p for p in [*sys.path, *(mounts.mapped_libraries() if minimal_root else [])]
           if p and (not _inside(p, kit) or any(_inside(p, q) for q in prefixes))]
    if minimal_root:
        mounts.new_pid_namespace()
        child = os.fork()
        if child:
            processes.stand_in_for(child)  # never returns
        mounts.private_namespaces()
        mounts.build_root(config["root"], prefixes + own, submission, uid, limits.disk_mb)
        mounts.close_other_descriptors(keep)
        submission, scratch = mounts.SUBMISSION, mounts.SCRATCH
        isolation.drop_privileges(uid)
        nproc_base = 0
    else:
        if uid is not None:  # the machine refused the minimal root (isolation.available): a uid of its own still
            isolation.drop_privileges(uid)
        # RLIMIT_NPROC counts every process of the uid: the worker may start `processes` more.
        nproc_base = processes.user_process_count(os.getuid()) if "NPROC" in facilities.current().rlimits else 0
    processes.die_with_parent()
    isolation.apply_limits(limits, nproc_base)
    os.chdir(scratch)
    os.environ["HOME"] = scratch
    os.environ["TMPDIR"] = scratch
    os.environ["MPLCONFIGDIR"] = os.path.join(scratch, fonts.FOLDER)  # matplotlib's folder, where its root has it
    # The folders the grader's layout discovery found the code in come first, in contract
    # order (micrograd-py/ for micrograd-py/micrograd/engine.py), then the submission itself.
    layout = config.get("layout") or {}
    roots = [os.path.normpath(os.path.join(submission, p)) for p in layout.get("paths", [])]
    roots = list(dict.fromkeys(roots + [submission]))
    sys.path[:] = roots + [p for p in dict.fromkeys(own) if p in sys.path]
    return submission


def run():
    proto_in, proto_out = _prepare_streams()
    from . import facilities, protocol

    try:
        # The configuration (paths of the run) comes on the protocol, not the command line.
        config = protocol.recv_blocking(proto_in)
        _preload(config.get("plotting", True))
        submission = _isolate(config, keep={0, 1, 2, proto_in, proto_out})
    except BaseException as e:  # the grader reports this as a kit error
        protocol.send(proto_out, protocol.StartFailed(f"{type(e).__name__}: {e}").to_frame())
        os._exit(70)

    from ..probes import registry
    from ..probes.lookup import configure

    configure(
        submission=submission,
        poisoned=config.get("poisoned", {}),
        progress=lambda event: protocol.send(proto_out, event.to_frame()),
        layout=config.get("layout"),
        disabled=config.get("disabled"),
    )
    # The loop keeps its own table and dispatcher: rebinding registry.PROBES or
    # registry.answer in the module changes nothing it runs.
    probes, answer = dict(registry.PROBES), registry.answer
    watch = Watch(registry.PROBES, _depth())
    # Prevention (worker/audit.py): from here on, no submission code can walk frames or the
    # heap, trace, load ctypes, or find the kit by name. Detection (the watch) stays.
    audit.install(submission, kit_modules=audit.hide_kit().values(), trusted=[_depth],
                  descriptors=(proto_in, proto_out))
    reply_key = bytes.fromhex(config.get("reply_key", ""))
    del config, registry
    refused = 0
    protocol.send(proto_out, protocol.Ready(os.getpid(), facilities.uid()).to_frame())
    gc.set_threshold(*PROBE_GC_THRESHOLDS)
    while True:
        if gc.get_count()[0] > IDLE_COLLECT_OBJECTS:
            gc.collect()
        try:
            frame = protocol.recv_blocking(proto_in)
        except EOFError:
            os._exit(0)
        seq = frame.get(protocol.SEQ) if isinstance(frame, dict) else None
        try:
            request = protocol.Request.from_frame(frame)
        except protocol.ProtocolError as e:
            request = None
            reply = protocol.KitFault(str(e))
        # The request is not left lying in this frame for submission code to find and
        # answer from: only the probe's own arguments reach the probe.
        del frame
        if request is not None:
            reply = answer(request, probes)
            del request
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        envelope = {protocol.SEQ: seq, protocol.SEAL: protocol.seal(reply_key, seq)}
        tampering = watch.changes(_depth())
        if tampering:
            envelope[protocol.TAMPERING] = tampering
        total, details = audit.refusals(refused)
        if total > refused:
            envelope[protocol.REFUSED] = {"count": total - refused, "logged": details}
            refused = total
        try:
            protocol.send(proto_out, {**reply.to_frame(), **envelope})
        except protocol.ProtocolError as e:
            failure = protocol.Failure("ProtocolError", str(e))
            protocol.send(proto_out, {**protocol.Raised(failure).to_frame(), **envelope})
        except (TypeError, ValueError) as e:
            failure = protocol.Failure("TypeError", f"the answer is not plain data: {e}")
            protocol.send(proto_out, {**protocol.Raised(failure).to_frame(), **envelope})
        del reply


def _depth() -> int:
    """How many frames deep the caller runs: the request loop's depth is fixed."""
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


if __name__ == "__main__":
    run()
