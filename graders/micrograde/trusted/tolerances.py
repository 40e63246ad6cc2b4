"""How close a submission's number must be to the grader's to count as right."""
import math

# A value the grader computes exactly (forward values, analytic gradients): only rounding
# may differ, and a submission may round in another order.
EXACT_REL = 1e-7
EXACT_ABS = 1e-9


def close(actual, expected: float, rel: float = EXACT_REL, abs_: float = EXACT_ABS) -> bool:
    """``actual`` is a float within abs_ + rel * |expected| of ``expected`` (NaN matches NaN)."""
    if not isinstance(actual, float):
        return False
    if math.isnan(expected):
        return math.isnan(actual)
    return math.isfinite(actual) and abs(actual - expected) <= abs_ + rel * abs(expected)


def close_to_finite_difference(g: float, g_fd: float, f: float) -> bool:
    """A gradient ``g`` against a central difference ``g_fd`` of a function whose value is ``f``.

    The absolute term scales with |f| because the rounding error of a central
    difference is about eps*|f|/h; the relative term covers truncation error.
    """
    return abs(g - g_fd) <= 1e-6 * max(1.0, abs(f)) + 1e-5 * abs(g_fd)
