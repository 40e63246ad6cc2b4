"""The capability profile: each operation and method of the contract, and whether it works.

One bug, one blame (DESIGN.md): a capability (an operator, an activation, backward(), a
parameters() method) is the subject of the checks that own it, and only theirs. OWNED below
is the one table of which check owns which capability and what it runs to judge it; the
owning checks are those probes (`Profile.expect_owned`), so the profile and the checks
cannot disagree. Every other check builds its inputs from capabilities that work
(`Profile.works`, `Profile.substitute`), and where it cannot, says which capability it
needs and where that was charged (`Profile.require`), for 0 points (docs/students.md,
"How your points are counted").

The profile is established by these probes at the start of every run, whichever
milestones run and in whatever order: `pytest graders/m2` alone knows it too.
A capability that hangs waits out one timeout here; then it is switched off in the worker
(Sandbox.disable), so a later check that calls it stops at once with the pointer.
"""
import math
from dataclasses import dataclass, field

from . import rubric
from .errors import KitError, MissingName, NotGradedSeparately, ProbeError, ProbeTimeout, SubmissionError, WorkerCrashed
from .expect import expect_close, expect_program
from .exprgen import BINARY_OPS, Op, Program, single_op
from .probes import names as probes

STATES = ("correct", "wrong", "missing", "raises", "hangs")


# -- the probes of the owning checks ----------------------------------------------------
def _program(program, what):
    def run(sandbox, profile, seed):
        expect_program(sandbox, program, what=what)
    return run


def _activation(kind, x):
    def run(sandbox, profile, seed):
        answer = sandbox.call(probes.AUTOGRAD_ACTIVATION, f"Value({x}).{kind}()", kind=kind, x=x)
        value = math.tanh(x) if kind == "tanh" else max(x, 0.0)
        grad = 1 - value * value if kind == "tanh" else float(x > 0)
        expect_close(answer["data"], value, f"Value({x}).{kind}().data")
        expect_close(answer["grad"], grad, f"gradient of {kind} at {x}"
                     + (" (the contract says 0)" if kind == "relu" and x == 0 else ""))
    return run


def _tanh_overflow(x):
    def run(sandbox, profile, seed):
        answer = sandbox.call(probes.AUTOGRAD_ACTIVATION, f"Value({x}).tanh()", kind="tanh", x=x)
        expect_close(answer["data"], math.copysign(1.0, x), f"Value({x}).tanh().data (compute it without overflow)")
        expect_close(answer["grad"], 0.0, f"gradient of tanh at {x}")
    return run


def _upstream(kind, x, grad=3.0):
    """The gradient kind(x) passes down when its output's gradient is 3 (set directly, not through `*`)."""
    def run(sandbox, profile, seed):
        got = sandbox.call(probes.AUTOGRAD_UPSTREAM, f"Value({x}).{kind}() with out.grad = {grad}", kind=kind, x=x, grad=grad)
        local = 1 - math.tanh(x) ** 2 if kind == "tanh" else float(x > 0)
        expect_close(got, grad * local, f"x.grad after out = x.{kind}() at x = {x}, out.grad = {grad} and out._backward() "
                     f"(Value.{kind}'s _backward should multiply {'1 - t**2' if kind == 'tanh' else 'its local gradient'} "
                     "by out.grad)")
    return run


def _backward_seed(sandbox, profile, seed):
    program = single_op(profile.binary_op(), 0, 1)
    answer = sandbox.call(probes.AUTOGRAD_BACKWARD_PROGRAM, "backward() on " + program.to_source().splitlines()[-2][5:],
                          program=program.to_json())
    expect_close(answer["grads"][-1], 1.0, "out.grad after out.backward()")


def _neuron_parameters(sandbox, profile, seed):
    answer = sandbox.call(probes.NN_NEURON_INIT, f"Neuron(4) after random.seed({seed})", nin=4, seed=seed)
    assert len(answer["parameters"]) == 5, f"Neuron(4).parameters() should hold 5 Values, it holds {len(answer['parameters'])}"
    assert answer["parameters_are_w_then_b"], "Neuron.parameters() should be the weights then the bias: self.w + [self.b]"


def _layer_parameters(sandbox, profile, seed):
    answer = sandbox.call(probes.NN_LAYER_PARAMETERS, "Layer(3, 4).parameters()", nin=3, nout=4, seed=seed,
                          stand_ins=profile.stand_ins("Layer.parameters"))
    assert answer["parameter_count"] == 16, f"Layer(3, 4) has 4 neurons of 3 weights + 1 bias = 16 parameters, not {answer['parameter_count']}"
    assert answer["parameters_in_neuron_order"], "Layer.parameters() should list each neuron's parameters, neuron by neuron"


def mlp_parameters(sandbox, profile, nin, nouts, seed) -> dict:
    """MLP(nin, nouts).parameters(), with contract stand-ins for the Neuron and Layer
    parameters() that fail (their own checks charge them), so only the MLP's is measured."""
    stand_ins = profile.stand_ins("MLP.parameters")
    try:
        return sandbox.call(probes.NN_MLP_PARAMETERS, f"MLP({nin}, {nouts}).parameters()", nin=nin, nouts=nouts,
                            seed=seed, stand_ins=stand_ins)
    except SubmissionError:
        if stand_ins:  # the contract's stand-in needs the structure the failing method was to read
            raise profile.blocked(stand_ins[0]) from None
        raise


def _mlp_count(nin, nouts, want):
    def run(sandbox, profile, seed):
        count = mlp_parameters(sandbox, profile, nin, nouts, seed)["count"]
        assert count == want, (f"MLP({nin}, {nouts}) has {want} parameters"
                               + (" ((3*4+4) + (4*4+4) + (4*1+1))" if want == 41 else "") + f"; parameters() returned {count}")
    return run


def _mlp_distinct(shapes):
    def run(sandbox, profile, seed):
        from .trusted import mlp
        for nin, nouts in shapes:
            answer = mlp_parameters(sandbox, profile, nin, nouts, seed)
            want = mlp.parameter_count(nin, nouts)
            assert answer["count"] == want == answer["distinct"], (
                f"MLP({nin}, {nouts}).parameters() should return {want} distinct Values; it returned "
                f"{answer['count']} ({answer['distinct']} distinct)")
    return run


@dataclass(frozen=True)
class Capability:
    name: str  # as the profile calls it: "rsub", "tanh", "Layer.parameters"
    subject: str  # as the feedback names it: "Value.__rsub__"
    method: str  # where the worker finds it to switch it off: "engine.Value.__rsub__"


def _value(name, dunder):
    return Capability(name, f"Value.{dunder}", f"engine.Value.{dunder}")


CAPABILITIES = {c.name: c for c in (
    _value("add", "__add__"), _value("sub", "__sub__"), _value("mul", "__mul__"), _value("div", "__truediv__"),
    _value("pow", "__pow__"), _value("neg", "__neg__"),
    _value("radd", "__radd__"), _value("rsub", "__rsub__"), _value("rmul", "__rmul__"), _value("rtruediv", "__rtruediv__"),
    _value("tanh", "tanh"), _value("relu", "relu"), _value("backward", "backward"),
    # Overflow at |x| = 1000 is its own check's subject: a lecture tanh built from exp(2x)
    # works at every input the other checks use.
    Capability("tanh_large", "Value.tanh (at large |x|)", "engine.Value.tanh"),
    Capability("Neuron.parameters", "Neuron.parameters", "nn.Neuron.parameters"),
    Capability("Layer.parameters", "Layer.parameters", "nn.Layer.parameters"),
    Capability("MLP.parameters", "MLP.parameters", "nn.MLP.parameters"),
)}
# The binary operators and the one that puts a number on their left.
REVERSED = {"add": "radd", "sub": "rsub", "mul": "rmul", "div": "rtruediv"}
SQUARED_PLUS_X = Program(inputs=(1.5,), ops=(Op("pow", (("n", 0), ("c", 2))), Op("add", (("n", 1), ("n", 0)))))

# (owning check, capability, probe), in the order each check runs them. Dependencies
# first: a capability's probe may build on those above it (backward on a working operator,
# MLP.parameters on working Layer and Neuron parameters).
OWNED = (
    ("test_add_computes_the_sum_and_passes_the_gradient_to_both_operands", "add",
     _program(single_op("add", 0, 1), "x0 + x1 (Value.__add__)")),
    ("test_add_computes_the_sum_and_passes_the_gradient_to_both_operands", "add",
     _program(single_op("add", 0, ("c", 2.5)), "x0 + 2.5 (Value.__add__)")),
    ("test_mul_gradients_are_the_other_operand", "mul", _program(single_op("mul", 0, 1), "x0 * x1 (Value.__mul__)")),
    ("test_mul_gradients_are_the_other_operand", "mul",
     _program(single_op("mul", 0, ("c", -1.5)), "x0 * -1.5 (Value.__mul__)")),
    ("test_sub_gradients_are_one_and_minus_one", "sub", _program(single_op("sub", 0, 1), "x0 - x1 (Value.__sub__)")),
    ("test_sub_gradients_are_one_and_minus_one", "sub", _program(single_op("sub", 0, ("c", 4)), "x0 - 4 (Value.__sub__)")),
    ("test_neg_flips_value_and_gradient", "neg", _program(single_op("neg", 0), "-x0 (Value.__neg__)")),
    ("test_div_gradients_are_one_over_b_and_minus_a_over_b_squared", "div",
     _program(single_op("div", 0, 1), "x0 / x1 (Value.__truediv__)")),
    ("test_div_gradients_are_one_over_b_and_minus_a_over_b_squared", "div",
     _program(single_op("div", 0, ("c", 4)), "x0 / 4 (Value.__truediv__)")),
    *(("test_pow_with_an_int_exponent", "pow", _program(single_op("pow", 0, ("c", k)), f"x0 ** {k} (Value.__pow__)"))
      for k in (2, 3, -1)),
    *(("test_pow_with_a_float_exponent", "pow", _program(single_op("pow", 0, ("c", k)), f"x0 ** {k} (Value.__pow__)"))
      for k in (0.5, 1.5)),
    ("test_radd_number_on_the_left", "radd", _program(single_op("add", ("c", 2), 0), "2 + x0 (Value.__radd__)")),
    # Inputs where swapped operands show: 2 - x0 at x0 = 2 and 3 / x1 at x1 = -3 read the same either way round.
    ("test_rsub_number_on_the_left", "rsub", _program(single_op("sub", ("c", 2), 1), "2 - x1 (Value.__rsub__)")),
    ("test_rmul_number_on_the_left", "rmul", _program(single_op("mul", ("c", 3), 0), "3 * x0 (Value.__rmul__)")),
    ("test_rtruediv_number_on_the_left", "rtruediv",
     _program(single_op("div", ("c", 4), 1), "4 / x1 (Value.__rtruediv__)")),
    ("test_gradient_accumulates_when_a_value_is_used_twice", "add",
     _program(single_op("add", 0, 0), "x0 + x0 (Value.__add__, with x0 on both sides)")),
    ("test_gradient_accumulates_when_a_value_is_used_twice", "mul",
     _program(single_op("mul", 0, 0), "x0 * x0 (Value.__mul__, with x0 on both sides)")),
    # x0 gets gradient from the + and from the **: a __pow__ that assigns loses the +'s share.
    ("test_gradient_accumulates_when_a_value_is_used_twice", "pow",
     _program(SQUARED_PLUS_X, "x0 ** 2 + x0 (Value.__pow__ should add into x0.grad with +=)")),
    # - and / are often built from +, unary - and ** (a * b**-1): an `=` in one of those shows
    # only where an operand is reused. Judged here, once, so the random graphs of M1 and M2
    # leave such an operator out instead of charging the same `=` again.
    ("test_gradient_accumulates_when_a_value_is_used_twice", "sub",
     _program(single_op("sub", 0, 0), "x0 - x0 (Value.__sub__, with x0 on both sides)")),
    ("test_gradient_accumulates_when_a_value_is_used_twice", "div",
     _program(single_op("div", 0, 0), "x0 / x0 (Value.__truediv__, with x0 on both sides)")),
    *(("test_tanh_value_and_gradient_one_minus_t_squared", "tanh", _activation("tanh", x)) for x in (0.5, -1.2, 2.0)),
    *(("test_tanh_does_not_overflow_for_large_inputs", "tanh_large", _tanh_overflow(x)) for x in (1000.0, -1000.0)),
    *(("test_tanh_gradient_is_scaled_by_the_upstream_gradient", "tanh", _upstream("tanh", x)) for x in (0.5, -1.2)),
    *(("test_relu_value_and_gradient", "relu", _activation("relu", x)) for x in (1.5, -0.7)),
    ("test_relu_passes_zero_gradient_at_zero", "relu", _activation("relu", 0.0)),
    ("test_relu_gradient_is_scaled_by_the_upstream_gradient", "relu", _upstream("relu", 1.5)),
    ("test_backward_seeds_the_root_gradient_with_one", "backward", _backward_seed),
    ("test_neuron_parameters_are_weights_then_bias", "Neuron.parameters", _neuron_parameters),
    ("test_layer_parameters_in_neuron_order", "Layer.parameters", _layer_parameters),
    ("test_mlp_3_4_4_1_has_41_parameters", "MLP.parameters", _mlp_count(3, [4, 4, 1], 41)),
    ("test_mlp_parameter_count_for_several_shapes", "MLP.parameters",
     _mlp_distinct(((1, [1]), (4, [3, 2]), (2, [16, 16, 1])))),
)
# The parameters() methods the contract defines from the structure (.w and .b, .neurons,
# .layers): the worker can stand in for a failing one (probes/nn.py) while another is measured.
STAND_INS = ("Neuron.parameters", "Layer.parameters", "MLP.parameters")


def owners(capability: str) -> list[str]:
    return list(dict.fromkeys(check for check, name, _ in OWNED if name == capability))


def _state_of(error: BaseException | None) -> str:
    if error is None:
        return "correct"
    if isinstance(error, AssertionError):
        return "wrong"
    if isinstance(error, MissingName):
        return "missing"
    if isinstance(error, ProbeTimeout):
        return "hangs"
    return "raises"


@dataclass
class Profile:
    """What the submission's capabilities do, as their owning checks found it."""

    states: dict = field(default_factory=dict)  # capability -> state
    outcomes: dict = field(default_factory=dict)  # owning check -> its first failure, or None
    charged: dict = field(default_factory=dict)  # capability -> the owning check that failed first
    errors: dict = field(default_factory=dict)  # capability -> its worst failure

    def state(self, capability: str) -> str:
        return self.states.get(capability, "correct")

    def works(self, capability: str) -> bool:
        return self.state(capability) == "correct"

    def key(self) -> str:
        """What the checks built on this profile draw from depends on, as text (the example
        cache keeps one entry per profile: a submission with a broken `+` draws other graphs)."""
        return ",".join(f"{c}={s}" for c, s in sorted(self.states.items()) if s != "correct")

    def runs(self, capability: str) -> bool:
        """It computes something (maybe wrongly): enough for a check of a graph's shape."""
        return self.state(capability) in ("correct", "wrong")

    def pointer(self, capability: str) -> str:
        c = CAPABILITIES[capability]
        check = self.charged.get(capability) or owners(capability)[0]
        how = {"wrong": "wrong", "missing": "missing", "hangs": "it hangs", "raises": "it raises"}[self.state(capability)]
        milestone = {name: m for m, name, _ in rubric.checks()}[check]
        return f"not graded separately: needs `{c.subject}` ({how}), charged in {milestone.upper()} `{check}`"

    def blocked(self, capability: str) -> BaseException:
        """What a check that needs this failed capability raises: the pointer to where it was
        charged; or, when the failure is not the capability's own (its module does not
        import, its class is not there), that very failure, as every other check says it."""
        error = self.errors.get(capability)
        method = CAPABILITIES[capability].subject.rpartition(".")[2]
        if isinstance(error, SubmissionError) and ("while importing" in error.message
                                                   or error.type_name in ("SyntaxError", "IndentationError", "TabError")):
            return error  # its code never ran: the module does not import, or does not parse
        if isinstance(error, MissingName) and method not in error.message:
            return error
        return NotGradedSeparately(self.pointer(capability))

    def require(self, *capabilities: str) -> None:
        """Stop the check, for 0 points, if it cannot be built without one of these."""
        for capability in capabilities:
            if not self.works(capability):
                raise self.blocked(capability)

    def expect_owned(self, check: str) -> None:
        """The owning check's verdict: the very outcome of its probes in the profile."""
        error = self.outcomes.get(check)
        if error is not None:
            raise error

    def operations(self, kinds) -> tuple:
        """The operations of `kinds` that work, for a random graph; stop if there is none."""
        ok = tuple(k for k in kinds if self.works(k))
        if not ok:
            raise self.blocked(kinds[0])
        return ok

    def binary_ops(self, kinds=BINARY_OPS) -> tuple:
        return tuple(k for k in kinds if self.works(k))

    def binary_op(self, prefer=("mul", "add", "sub", "div")) -> str:
        """A working binary operator for a check whose subject is not arithmetic."""
        ok = self.binary_ops(prefer)
        if not ok:
            raise self.blocked(prefer[0])
        return ok[0]

    def left_constants(self) -> tuple:
        """The binary operators that may have a number on their left (a working reflected one)."""
        return tuple(k for k in BINARY_OPS if self.works(REVERSED[k]))

    def substitute(self, program: Program) -> Program:
        """The same graph (its sharing, its inputs) with each operation that does not work
        replaced by one that does; NotGradedSeparately when no replacement keeps it valid."""
        from .trusted.programs import evaluate

        ops = []
        for op in program.ops:
            kind = op.kind
            if not self.works(kind) or (op.args[0][0] == "c" and not self.works(REVERSED[kind])):
                left = op.args[0][0] == "c"
                candidates = [k for k in self.binary_ops(("mul", "add", "sub", "div"))
                              if not left or self.works(REVERSED[k])] if kind in BINARY_OPS else []
                for k in candidates:
                    trial = Program(program.inputs, (*ops, Op(k, op.args)))
                    try:
                        if all(math.isfinite(v) and abs(v) < 1e3 for v in evaluate(trial)):
                            kind = k
                            break
                    except (ArithmeticError, ValueError):
                        continue
                else:
                    raise self.blocked(op.kind if not self.works(op.kind) else REVERSED[op.kind])
            ops.append(Op(kind, op.args))
        return Program(program.inputs, tuple(ops))

    def stand_ins(self, subject: str) -> list:
        """The parameters() methods the worker replaces by the contract's while `subject` is measured."""
        return [c for c in STAND_INS if c != subject and not self.works(c)]


def establish(sandbox, check_seed, on_hang) -> Profile:
    """Run every owning probe once, in OWNED's order; a capability that hangs waits out one
    timeout, then `on_hang(capability, method, pointer)` switches it off for the run.

    A check that owns several capabilities (the accumulation check: +, * and **) does not
    run its probe of one that an earlier check already charged (x0 ** 2 + x0 when __pow__ is
    missing): it is judged on the rest of its probes, or, with none left, says where the
    capability was charged. A check that owns one capability is all about it, and runs."""
    owned_by = {}
    for check, capability, _ in OWNED:
        owned_by.setdefault(check, set()).add(capability)
    profile = Profile()
    final = {}  # capability -> the error that ends its probing: a hang, a crash, a missing name
    measured, skipped = set(), {}  # checks judged on a probe of their own; check -> capability charged elsewhere
    for check, capability, run in OWNED:
        if (len(owned_by[check]) > 1 and profile.state(capability) != "correct"
                and profile.charged.get(capability) != check):
            skipped.setdefault(check, capability)
            continue
        measured.add(check)
        error = None
        if profile.state(capability) == "hangs":
            error = ProbeTimeout(f"{CAPABILITIES[capability].subject} did not return (found once, at the start of "
                                 "the run; not waited for again)")
        elif capability in final:
            error = final[capability]  # the same again, without another worker restart
        else:
            try:
                run(sandbox, profile, check_seed(check))
            except KitError:
                raise
            except (ProbeError, Exception) as e:  # every probe runs, so each capability is judged by all its own
                error = e
                if isinstance(e, (MissingName, WorkerCrashed)):
                    final[capability] = e
        if profile.outcomes.get(check) is None:
            profile.outcomes[check] = error  # a check fails with its first failure, as a test does
        state = _state_of(error)
        if STATES.index(state) > STATES.index(profile.state(capability)):
            profile.states[capability] = state
            profile.charged[capability] = check
            profile.errors[capability] = error
            if state == "hangs":
                on_hang(capability, CAPABILITIES[capability].method, profile.pointer(capability))
        profile.states.setdefault(capability, "correct")
    for check, capability in skipped.items():
        if check not in measured:
            profile.outcomes[check] = profile.blocked(capability)
    return profile
