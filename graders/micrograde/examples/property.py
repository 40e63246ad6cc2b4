"""A grader's property check: a body that draws its examples from `data`.

    @property_check
    def test_backward_matches_exact_gradients_on_random_graphs(sandbox, profile, data):
        program = data.draw(Programs(ops=...), label="program")

pytest sees a test of the body's fixtures (`data` is not one). The plugin runs it through
the example cache with the check's seed (replay.py), which answers the body's draws from
an earlier run and imports Hypothesis only when something must really be drawn: no entry
yet, a run off the recorded path, or a failure to shrink. Most gradings never import it (a
fifth of their start-up). Called directly, the test runs under Hypothesis alone, unseeded.
"""
import functools
import inspect

from ..exprgen.drawn import Programs

DATA = "data"
# Every property check's Hypothesis settings (with phases generate and shrink, and no
# health check: settings() adds those, which need Hypothesis's own objects). The examples
# a check draws depend on them: they are part of a cache entry's key.
SETTINGS = {"max_examples": 200, "database": None, "deadline": None, "derandomize": False,
            "report_multiple_bugs": False, "print_blob": False}
PROFILE = "micrograde"


@functools.cache
def settings():
    """The graders' Hypothesis settings, loaded as the default profile (an instructor's
    own @given checks run under them too). Imports Hypothesis."""
    import hypothesis

    hypothesis.settings.register_profile(
        PROFILE, phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink],
        suppress_health_check=list(hypothesis.HealthCheck), **SETTINGS)
    hypothesis.settings.load_profile(PROFILE)
    return hypothesis.settings.get_profile(PROFILE)


def strategy(drawable):
    """The Hypothesis strategy of what a body draws: exprgen.Programs (which imports
    Hypothesis), or a Hypothesis strategy already."""
    if isinstance(drawable, Programs):
        from ..exprgen.strategies import strategy_of

        return strategy_of(drawable)
    return drawable


class Drawing:
    """A body's `data` under Hypothesis: what it asks for, Hypothesis draws."""

    def __init__(self, real):
        self.real = real

    def draw(self, drawable, label=None):
        return self.real.draw(strategy(drawable), label)


class PropertyCheck:
    def __init__(self, body):
        self.body = body
        self.example = self.run_body  # each example's call: replay.py interposes on it
        self._tests = {}

    def run_body(self, fixtures: dict, data):
        """One example, drawn by Hypothesis (`data`: its DataObject)."""
        return self.body(**fixtures, data=Drawing(data))

    def hypothesis_test(self, seed=None):
        """The check under Hypothesis: the graders' settings, `seed` (None: unseeded)."""
        if seed not in self._tests:
            import hypothesis
            from hypothesis import strategies as st

            signature = inspect.signature(self.body)

            def example(*args, **kwargs):
                arguments = signature.bind(*args, **kwargs).arguments  # Hypothesis passes some positionally
                data = arguments.pop(DATA)
                return self.example(dict(arguments), data)

            example.__signature__ = signature
            functools.update_wrapper(example, self.body, updated=())
            del example.__wrapped__  # Hypothesis reads the signature above, not the body's
            test = settings()(hypothesis.given(**{DATA: st.data()})(example))
            self._tests[seed] = test if seed is None else hypothesis.seed(seed)(test)
        return self._tests[seed]


def property_check(body):
    """Make `body(fixtures..., data)` a grader test; see the module's docstring."""
    check = PropertyCheck(body)
    fixtures = [p for name, p in inspect.signature(body).parameters.items() if name != DATA]

    def test(**kwargs):
        return check.hypothesis_test()(**kwargs)

    functools.update_wrapper(test, body, updated=())
    del test.__wrapped__  # pytest asks for the fixtures below, not for `data`
    test.__signature__ = inspect.Signature(fixtures)
    test.property_check = check
    return test
