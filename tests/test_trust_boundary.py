"""The trust boundary: the grader's own arithmetic (micrograde.trusted) never enters the worker.

A submission shares the worker's interpreter with the probes, so whatever the worker has
loaded, the submission can call. Here a submission's __repr__ reports which grader-only
modules are in the worker's sys.modules after probes of every milestone ran.
"""
import json
import subprocess
import sys

from corpus import patched_reference
from micrograde.exprgen import Op, Program
from micrograde.probes import names as probes
from micrograde.worker import Sandbox

GRADER_ONLY = ("micrograde.trusted", "micrograde.exprgen", "micrograde.expect", "micrograde.training_task",
               "micrograde.course", "hypothesis")


def _reporting_submission(dest, prelude=""):
    """The reference, with a __repr__ that lists the grader-only modules loaded in its process."""
    new_repr = (f"    def __repr__(self):\n        import sys\n{prelude}"
                f"        return ','.join(sorted(m for m in sys.modules if m.startswith({GRADER_ONLY!r}))) or 'none'\n\n"
                "    def _reference_repr(self):\n")
    return patched_reference(dest, [("engine", "    def __repr__(self):\n", new_repr)])


def _loaded(sandbox) -> str:
    return sandbox.call(probes.ENGINE_REPR, "repr(Value)", data=1.0, grad=0.0)


def test_the_worker_never_loads_the_graders_own_arithmetic(tmp_path):
    program = Program(inputs=(1.5, -0.5), ops=(Op("mul", (("n", 0), ("n", 1))), Op("tanh", (("n", 2),))))
    with Sandbox(_reporting_submission(tmp_path / "sub")) as sandbox:
        sandbox.call(probes.ENGINE_LOCAL_PROGRAM, "a program", program=program.to_json())
        sandbox.call(probes.AUTOGRAD_BACKWARD_PROGRAM, "backward()", program=program.to_json())
        sandbox.call(probes.AUTOGRAD_BACKWARD_PROGRAM, "forward passes", program=program.to_json(),
                     nudged=[program.to_json()])
        sandbox.call(probes.GRADCHECK_NUMERICAL_GRAD, "numerical_grad", function="smooth", xs=[0.7, -1.3, 0.4])
        sandbox.call(probes.NN_MLP_PARAMETERS, "MLP(3, [4, 4, 1])", nin=3, nouts=[4, 4, 1], seed=1)
        sandbox.call(probes.LOSSES_MSE, "mse_loss", predictions=[1.0, 2.0], targets=[0.0, 2.5])
        assert _loaded(sandbox) == "none"


def test_a_loaded_trusted_module_would_be_seen(tmp_path):
    # The check above can fail: the same __repr__ names a trusted module once one is loaded.
    prelude = "        sys.modules['micrograde.trusted.programs'] = sys\n"
    with Sandbox(_reporting_submission(tmp_path / "sub", prelude)) as sandbox:
        assert _loaded(sandbox) == "micrograde.trusted.programs"


def test_no_probe_module_imports_grader_only_code():
    # Every probe module and the worker's entry point, imported as the worker does.
    script = ("import json, sys\nimport micrograde.probes.registry, micrograde.worker.main\n"
              "micrograde.probes.registry.load_probes()\n"
              f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({GRADER_ONLY!r}))))")
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {_package_parent()!r})\n" + script],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def _package_parent() -> str:
    import micrograde
    from pathlib import Path

    return str(Path(micrograde.__file__).resolve().parents[1])
