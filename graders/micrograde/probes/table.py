"""The probe table: every probe module registers its functions here by name.

Kept apart from registry.py, which imports the probe modules: that way the layering runs one
way (registry -> probe modules -> table) and no module imports one that imports it."""

PROBES = {}


def probe(name: str):
    def register(fn):
        PROBES[name] = fn
        return fn
    return register
