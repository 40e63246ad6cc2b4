"""Runtime evidence of a takeover, gathered by the worker's own request loop.

Probe code shares its interpreter with the submission, so a submission can patch the
probes, the registry or the protocol, or run a request loop of its own and answer every
probe itself. Not all of that can be prevented in-process; what the real loop can see, it
reports: before each request it compares the kit's code and state in this process with
a fingerprint taken when the worker became ready, and tells the grader what changed
(the grader records it as a `worker_tampering` integrity finding). A takeover that
never returns to the real loop is seen by the grader instead: replies that do not echo
the request's sequence number, or frames nobody asked for (worker/client.py).
"""
import functools
import operator
import sys
from itertools import chain

KIT = "micrograde"
# Methods held in a wrapper, which has no __code__ of its own: replaced, it is another object.
DESCRIPTORS = (staticmethod, classmethod, property, functools.cached_property)


def _functions(module):
    """(holder, attribute, qualified name) of the functions and methods a kit module defines."""
    for name, value in list(vars(module).items()):
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if callable(value) and hasattr(value, "__code__"):
            yield module, name, f"{module.__name__}.{name}"
        elif isinstance(value, type):
            for attr, member in list(vars(value).items()):
                if hasattr(member, "__code__") or isinstance(member, DESCRIPTORS):
                    yield value, attr, f"{module.__name__}.{name}.{attr}"


_ABSENT = object()


def _rebound(current: dict, snapshot: dict) -> tuple[list[str], bool]:
    """The names bound to another object in `current` than in `snapshot` (its copy, taken
    when the worker became ready), added or removed, sorted; and whether `current` holds a
    key that is not a plain string. Such keys are never hashed or compared: that would run
    the submission's methods."""
    items = list(current.items())
    names = {k: v for k, v in items if type(k) is str}
    changed = sorted(k for k in names.keys() | snapshot.keys()
                     if names.get(k, _ABSENT) is not snapshot.get(k, _ABSENT))
    return changed, len(names) < len(items)


class Watch:
    """A fingerprint of the kit in this process: identities only, cheap to compare on
    every request (a replaced function or code object is a new object)."""

    def __init__(self, probes: dict, depth: int):
        self.probes = probes
        self.depth = depth
        self.reported: set[str] = set()
        self.modules = [(name, module) for name, module in list(sys.modules.items())
                        if name == KIT or name.startswith(KIT + ".")]
        self.module_names = [name for name, _ in self.modules]
        # Methods of the kit's classes (a module's own functions are among its bindings).
        # Their code objects are not compared: assigning __code__ is refused by the audit
        # hook (worker/audit.py), and reading it is an audited event, a hook call per
        # function on every request.
        self.methods = [(vars(holder), attr, qualname, vars(holder)[attr])
                        for _, module in self.modules for holder, attr, qualname in _functions(module)
                        if holder is not module]
        # Compared by identity (operator.is_: never id(), an audited event, nor ==, which
        # would call an __eq__ the submission may define).
        self.method_holders = [namespace for namespace, *_ in self.methods]
        self.method_names = [attr for _, attr, *_ in self.methods]
        self.method_values = [fn for *_, fn in self.methods]
        self.probe_functions = dict(probes)
        # Every module-level binding of the kit: rebinding one (a table, a class the probes
        # use) is as much a takeover as replacing a function.
        self.bindings = [(name, vars(module), dict(vars(module))) for name, module in self.modules]
        # The same, flat, for the check on every request: a namespace holds what it held when
        # its size, its names and its values, in its own order, are the very objects they were.
        # Names are compared by identity too: hashing or comparing them would call the methods
        # of a key the submission put there.
        self.namespaces = [namespace for _, namespace, _ in self.bindings]
        self.sizes = [len(snapshot) for *_, snapshot in self.bindings]
        self.names = [k for *_, snapshot in self.bindings for k in snapshot]
        self.values = [v for *_, snapshot in self.bindings for v in snapshot.values()]
        self.probe_names = list(self.probe_functions)
        self.probe_values = list(self.probe_functions.values())

    def _unchanged(self) -> bool:
        """The common case, decided in C loops: every binding, method and probe is the object
        it was (this runs on every request). A name removed and put back as it was fails it
        too; the full comparison (_changed) then finds nothing."""
        same = operator.is_
        try:
            return (all(map(same, map(operator.getitem, self.method_holders, self.method_names), self.method_values))
                    and list(map(len, self.namespaces)) == self.sizes
                    and all(map(same, chain.from_iterable(self.namespaces), self.names))
                    and all(map(same, chain.from_iterable(map(dict.values, self.namespaces)), self.values))
                    and len(self.probes) == len(self.probe_names)
                    and all(map(same, self.probes, self.probe_names))
                    and all(map(same, self.probes.values(), self.probe_values))
                    and all(found is None or found is module
                            for found, (_, module) in zip(map(sys.modules.get, self.module_names), self.modules)))
        except (KeyError, RuntimeError):  # a method removed; a namespace changed size as we read it (a thread)
            return False

    def _changed(self) -> list[str]:
        if self._unchanged():
            return []
        # The kit's modules are out of sys.modules once the audit hook is in (worker/audit.py):
        # one found there again was put back by the submission.
        found = [f"module {name} was put into sys.modules" for name, module in self.modules
                 if sys.modules.get(name, module) is not module and sys.modules.get(name) is not None]
        for name, namespace, snapshot in self.bindings:
            changed, odd = _rebound(namespace, snapshot)
            found += [f"{name}.{k} was rebound, added or removed" for k in changed[:5]]
            if odd:
                found.append(f"{name} got a binding whose name is not a string")
        for namespace, attr, qualname, fn in self.methods:
            if namespace.get(attr) is not fn:
                found.append(f"function {qualname} was replaced or removed")
        changed, odd = _rebound(self.probes, self.probe_functions)
        found += [f"probe {name} was replaced, added or removed" for name in changed]
        if odd:
            found.append("the probe table got an entry whose name is not a string")
        return found

    def changes(self, depth: int) -> list[str]:
        """What is different now, each said once per worker."""
        found = self._changed()
        if depth != self.depth:
            found.append(f"the request loop ran {depth - self.depth:+d} frames deep: it was entered again "
                         "from inside a probe")
        if sys.gettrace() is not None or sys.getprofile() is not None:
            found.append("a trace or profile function was installed (sys.settrace / sys.setprofile)")
        # Threads are no evidence: a tqdm progress bar has one, and the audit hook holds in
        # every thread.
        new = [f for f in found if f not in self.reported]
        self.reported.update(new)
        return new
