"""The worker's watch (worker/watch.py), in this process: every change to the kit's module
bindings, methods, probe table and modules is reported once, and nothing else is."""
import sys
import types

import pytest

from micrograde.worker.watch import Watch

SOURCE = '''
TABLE = {"a": 1}
LIMIT = 3
def helper():
    return 1
class Probe:
    def run(self):
        return 2
    @staticmethod
    def fixed():
        return 3
    @classmethod
    def build(cls):
        return cls()
    @property
    def size(self):
        return 4
'''
NAME = "micrograde._watched_for_test"


@pytest.fixture
def kit():
    """A kit module of our own (the real ones are left alone), a probe table and a watch."""
    module = types.ModuleType(NAME)
    exec(SOURCE, vars(module))
    for value in (module.helper, module.Probe):
        value.__module__ = NAME
    sys.modules[NAME] = module
    probes = {"engine.repr": module.helper, "engine.other": module.Probe.run}
    watch = Watch(probes, 5)
    try:
        yield module, probes, watch
    finally:
        sys.modules.pop(NAME, None)


class Lying:
    """Equal to everything, hashed like a kit name: the watch must never ask it."""

    asked = 0

    def __eq__(self, other):
        Lying.asked += 1
        return True

    def __hash__(self):
        return hash("LIMIT")


def test_nothing_changed_reports_nothing(kit):
    module, probes, watch = kit
    module.TABLE["b"] = 2  # a mutable value's contents are the module's own business
    assert watch.changes(5) == []


@pytest.mark.parametrize("change, said", [
    (lambda m: setattr(m, "LIMIT", 4), f"{NAME}.LIMIT was rebound"),
    (lambda m: setattr(m, "LIMIT", Lying()), f"{NAME}.LIMIT was rebound"),
    (lambda m: setattr(m, "added", 1), f"{NAME}.added was rebound, added or removed"),
    (lambda m: setattr(m, "added", None), f"{NAME}.added was rebound, added or removed"),
    (lambda m: delattr(m, "TABLE"), f"{NAME}.TABLE was rebound, added or removed"),
    (lambda m: vars(m).__setitem__("renamed", vars(m).pop("LIMIT")), f"{NAME}.renamed was"),
    (lambda m: setattr(m, "helper", lambda: 1), f"{NAME}.helper was rebound"),
    (lambda m: setattr(m.Probe, "run", lambda self: 2), f"function {NAME}.Probe.run was replaced"),
    (lambda m: delattr(m.Probe, "run"), f"function {NAME}.Probe.run was replaced or removed"),
    (lambda m: setattr(m.Probe, "fixed", staticmethod(lambda: 3)), f"function {NAME}.Probe.fixed was replaced"),
    (lambda m: setattr(m.Probe, "build", classmethod(lambda cls: None)), f"function {NAME}.Probe.build was replaced"),
    (lambda m: setattr(m.Probe, "size", property(lambda self: 4)), f"function {NAME}.Probe.size was replaced"),
])
def test_a_binding_rebound_added_or_removed_is_reported_once(kit, change, said):
    module, probes, watch = kit
    Lying.asked = 0
    change(module)
    found = watch.changes(5)
    assert any(f.startswith(said) for f in found), found
    assert watch.changes(5) == []  # said once per worker
    assert Lying.asked == 0


def test_a_key_that_lies_about_equality_is_reported(kit):
    module, probes, watch = kit
    Lying.asked = 0
    value = vars(module).pop("LIMIT")
    vars(module)[Lying()] = value
    assert watch.changes(5)
    assert Lying.asked == 0


def test_a_binding_removed_and_put_back_as_it_was_is_no_change(kit):
    module, probes, watch = kit
    value = vars(module).pop("LIMIT")
    vars(module)["LIMIT"] = value  # now last in the namespace's order
    assert watch.changes(5) == []
    module.LIMIT = 7
    assert watch.changes(5) == [f"{NAME}.LIMIT was rebound, added or removed"]


@pytest.mark.parametrize("change, said", [
    (lambda p, m: p.__setitem__("engine.repr", lambda: 1), "probe engine.repr was replaced"),
    (lambda p, m: p.__setitem__("engine.new", m.helper), "probe engine.new was replaced, added or removed"),
    (lambda p, m: p.pop("engine.other"), "probe engine.other was replaced, added or removed"),
])
def test_the_probe_table_changed_is_reported(kit, change, said):
    module, probes, watch = kit
    change(probes, module)
    assert any(f.startswith(said) for f in watch.changes(5))


def test_a_kit_module_put_back_into_sys_modules_is_reported(kit):
    module, probes, watch = kit
    sys.modules[NAME] = types.ModuleType(NAME)
    assert f"module {NAME} was put into sys.modules" in watch.changes(5)


def test_a_kit_module_taken_out_of_sys_modules_is_no_change(kit):
    module, probes, watch = kit
    del sys.modules[NAME]  # as the audit hook's installation does (worker/audit.py)
    assert watch.changes(5) == []


def test_the_loop_entered_again_is_reported(kit):
    module, probes, watch = kit
    assert any("+2 frames deep" in f for f in watch.changes(7))
