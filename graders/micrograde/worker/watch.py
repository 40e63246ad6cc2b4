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
import operator
import sys

KIT = "micrograde"


def _functions(module):
    """(holder, attribute, qualified name) of the functions and methods a kit module defines."""
    for name, value in list(vars(module).items()):
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if callable(value) and hasattr(value, "__code__"):
            yield module, name, f"{module.__name__}.{name}"
        elif isinstance(value, type):
            for attr, member in list(vars(value).items()):
                if hasattr(member, "__code__"):
                    yield value, attr, f"{module.__name__}.{name}.{attr}"


class Watch:
    """A fingerprint of the kit in this process: identities only, cheap to compare on
    every request (a replaced function or code object is a new object)."""

    def __init__(self, probes: dict, depth: int):
        self.probes = probes
        self.depth = depth
        self.reported: set[str] = set()
        self.modules = [(name, module) for name, module in list(sys.modules.items())
                        if name == KIT or name.startswith(KIT + ".")]
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
        self.binding_values = [(namespace, snapshot.keys(), list(snapshot.values()))
                               for _, namespace, snapshot in self.bindings]

    def _unchanged(self) -> bool:
        """The common case, decided in C loops: every binding, method and probe is the object
        it was (this runs on every request)."""
        same = operator.is_
        try:
            methods = all(map(same, map(operator.getitem, self.method_holders, self.method_names), self.method_values))
        except KeyError:
            return False
        return (methods and self.probes.keys() == self.probe_functions.keys()
                and all(map(same, map(self.probes.get, self.probe_functions), self.probe_functions.values()))
                and all(namespace.keys() == keys and all(map(same, namespace.values(), values))
                        for namespace, keys, values in self.binding_values)
                and all(sys.modules.get(name) in (None, module) for name, module in self.modules))

    def _changed(self) -> list[str]:
        if self._unchanged():
            return []
        # The kit's modules are out of sys.modules once the audit hook is in (worker/audit.py):
        # one found there again was put back by the submission.
        found = [f"module {name} was put into sys.modules" for name, module in self.modules
                 if sys.modules.get(name) not in (None, module)]
        for name, namespace, snapshot in self.bindings:
            if namespace.keys() != snapshot.keys() or any(namespace[k] is not v for k, v in snapshot.items()):
                changed = sorted(k for k in namespace.keys() | snapshot.keys() if namespace.get(k) is not snapshot.get(k))
                found += [f"{name}.{k} was rebound, added or removed" for k in changed[:5]]
        for namespace, attr, qualname, fn in self.methods:
            if namespace.get(attr) is not fn:
                found.append(f"function {qualname} was replaced or removed")
        if self.probes.keys() != self.probe_functions.keys() or any(
                self.probes[name] is not fn for name, fn in self.probe_functions.items()):
            changed = sorted(name for name in self.probes.keys() | self.probe_functions.keys()
                             if self.probes.get(name) is not self.probe_functions.get(name))
            found += [f"probe {name} was replaced, added or removed" for name in changed]
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
