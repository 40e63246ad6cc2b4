"""M2: numerical_grad computes central differences; gradcheck tells right gradients from wrong."""
import math

from micrograde.expect import expect_all_close
from micrograde.probes import names as probes
from micrograde.trusted.finite_difference import central_differences

XS = [0.7, -1.3, 0.4]


def smooth(x):
    # The same function the probe hands to numerical_grad, evaluated here with plain floats.
    return math.sin(x[0]) * x[1] + x[0] * x[0] * x[-1] + math.exp(0.3 * x[-1])


def test_numerical_grad_returns_central_differences(sandbox):
    answer = sandbox.call(probes.GRADCHECK_NUMERICAL_GRAD, "numerical_grad(f, xs)", function="smooth", xs=XS)
    expect_all_close(answer, central_differences(smooth, XS, 1e-6, relative=False), "numerical_grad(f, xs) entry", rel=1e-6, abs_=1e-7)


def test_numerical_grad_uses_the_step_h_on_both_sides(sandbox):
    # With a large h a one-sided difference is off by about h/2 * f'' and is easy to tell apart.
    answer = sandbox.call(probes.GRADCHECK_NUMERICAL_GRAD, "numerical_grad(f, xs, h=1e-2)", function="smooth", xs=XS, h=1e-2)
    expect_all_close(answer, central_differences(smooth, XS, 1e-2, relative=False), "numerical_grad(f, xs, h=1e-2) entry "
                     "(central: (f(x+h) - f(x-h)) / 2h)", rel=1e-9, abs_=1e-9)


SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _correct_function(profile) -> tuple[str, str]:
    """f = x0*x1 + x0**2 when *, + and ** work (capabilities.py); else one operator that does."""
    if all(profile.works(k) for k in ("mul", "add", "pow")):
        return "product_plus_square", "x0*x1 + x0**2"
    kind = profile.binary_op()
    return f"one_{kind}", f"x0 {SYMBOL[kind]} x1"


def test_gradcheck_accepts_correct_gradients(sandbox, profile):
    function, text = _correct_function(profile)
    verdict = sandbox.call(probes.GRADCHECK_GRADCHECK, f"gradcheck(f, xs) on f = {text}", function=function, xs=[1.3, -0.4])
    assert verdict is True, f"gradcheck should return True for correct gradients, returned {verdict!r}"


def test_gradcheck_rejects_a_wrong_backward(sandbox):
    for function, how in (("doubled_backward", "twice too large"), ("one_percent_off_backward", "1% too large")):
        verdict = sandbox.call(probes.GRADCHECK_GRADCHECK, f"gradcheck(f, xs) on a node whose _backward is {how}",
                               function=function, xs=[1.3, -0.4])
        assert verdict is False, (
            f"gradcheck should return False when a _backward's gradients are {how}, returned {verdict!r}")
