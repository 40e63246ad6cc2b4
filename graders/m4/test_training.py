"""M4: train() runs forward, loss, zero_grad, backward, step; and it really learns.

The grader does not believe the losses train() reports: it recomputes the loss from the
trained parameters it gets back, with its own arithmetic. Every step must come from
backward(): the exact-steps checks give train() a backward() of the grader's, which sets
gradients the grader chose, and the learning check requires each step to be -lr times
what the submission's own backward() computed. A train() that finds gradients any other
way (finite differences of the forward pass) earns none of these points.
"""
import math
import random
import struct

from micrograde.course import task as course_task
from micrograde.expect import expect_all_close, fmt
from micrograde.trusted.tolerances import close
from micrograde.probes import names as probes
from micrograde.trusted import mlp

NOUTS = [3, 1]
START = [0.5, -0.4, 0.1, -0.3, 0.8, -0.2, 0.6, 0.2, 0.4, 0.7, -0.9, 0.3, 0.05]
XS = [[0.5, -1.0], [1.0, 0.5], [-0.5, 0.25], [0.0, 1.0]]
YS = [0.3, -0.2, 0.5, 0.1]
EPOCHS, LR = 3, 0.1


def _chosen_gradients(grading) -> list[list[float]]:
    """The gradients the grader's backward() hands train(), one list per epoch: drawn from the
    grading seed (seeds.py), so no train() can know them in advance."""
    rng = random.Random(grading.check_seed("train exact gradients"))
    return [[round(rng.uniform(-1, 1), 3) for _ in START] for _ in range(EPOCHS)]


def _exact(sandbox, grading, check_seed):
    return sandbox.call(probes.TRAIN_EXACT, f"train(MLP(2, {NOUTS}), xs, ys, epochs={EPOCHS}, lr={LR}) with the "
                        "grader's backward() (it sets gradients the grader chose)", nin=2, nouts=NOUTS,
                        parameters=START, xs=XS, ys=YS, epochs=EPOCHS, lr=LR, seed=check_seed,
                        grads=_chosen_gradients(grading))


def _trajectory(grads):
    """The parameters before each epoch's step and after the last: p <- p - lr * chosen gradient."""
    params, seen = list(START), []
    for g in grads:
        seen.append(params)
        params = [p - LR * gi for p, gi in zip(params, g)]
    return seen, params


def test_train_returns_one_float_loss_per_epoch(sandbox, grading, check_seed):
    history = _exact(sandbox, grading, check_seed)["history"]
    assert len(history) == EPOCHS and all(isinstance(h, float) for h in history), (
        f"train(..., epochs={EPOCHS}) should return {EPOCHS} losses as floats, one per epoch; it returned {history!r:.200}")


def test_train_history_is_the_loss_before_each_step(sandbox, grading, check_seed):
    seen, _ = _trajectory(_chosen_gradients(grading))
    history = _exact(sandbox, grading, check_seed)["history"]
    # The losses of the network the MLP computes: a relu or all-tanh one is charged in M3, not here.
    for network in FORWARDS:
        want = [mlp.mse(params, 2, NOUTS, XS, YS, *network) for params in seen]
        if isinstance(history, list) and len(history) == len(want) and all(
                close(h, w, rel=1e-6) for h, w in zip(history, want)):
            return
    expect_all_close(history, [mlp.mse(params, 2, NOUTS, XS, YS) for params in seen],
                     "loss of epoch (the parameters moved by the gradients the grader's backward() set)", rel=1e-6)


def test_train_takes_exact_sgd_steps(sandbox, grading, check_seed):
    answer = _exact(sandbox, grading, check_seed)
    assert answer["backward_calls"] == EPOCHS, (
        f"train(..., epochs={EPOCHS}) called loss.backward() {answer['backward_calls']} times; once per epoch "
        "(forward, loss, zero_grad, backward, step), and the step must use the gradients backward() left")
    _, want = _trajectory(_chosen_gradients(grading))
    expect_all_close(answer["parameters"], want, f"parameter after {EPOCHS} epochs whose backward() set gradients "
                     "the grader chose (each step: p.data -= lr * p.grad, after zero_grad), index", rel=1e-6)


def test_plot_losses_writes_a_png(sandbox):
    answer = sandbox.call(probes.TRAIN_PLOT_LOSSES, "plot_losses(history, 'losses.png')", history=[1.0, 0.5, 0.25, 0.2])
    head = bytes.fromhex(answer["head"])
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "plot_losses should write a PNG file (it does not start with the PNG signature)"
    width, height = struct.unpack(">II", head[16:24]) if len(head) >= 24 else (0, 0)
    assert width > 0 and height > 0, "the PNG that plot_losses wrote has no image size"


def _task(grading):
    """The course's task (micrograde/course/task.py; by default the seed's regression of
    micrograde/training_task.py): its points, starting weights, network and budget."""
    task = course_task.task_for(grading.course, grading.seed)
    return task, dict(nin=task.nin, nouts=list(task.nouts), start=task.start, xs=task.xs, ys=task.ys,
                      epochs=task.epochs, lr=task.lr)


# The networks an MLP of the contract's shape may compute: (hidden, output) activation. The
# contract's own first; the original micrograd's relu MLP and the lecture's all-tanh one too:
# their activations are charged in M3, not again here.
FORWARDS = (("tanh", "linear"), ("relu", "linear"), ("linear", "linear"), ("tanh", "tanh"), ("relu", "relu"))


def _forward_of(start_outputs, task):
    """The (hidden, output) activations whose network gives these outputs at the start."""
    for hidden, output in FORWARDS:
        want = [mlp.predict(task.start, task.nin, task.nouts, x, hidden, output) for x in task.xs]
        if all(isinstance(a, float) and close(a, w, rel=1e-6) for a, w in zip(start_outputs, want)):
            return hidden, output
    return None


def _final_mse(answer, task, profile) -> tuple[float, tuple]:
    """The loss the grader measures on the parameters it gets back, after checking that the
    model started where the grader put it (so the loss fell through its own gradient steps).

    Measured with the network the model computes (its outputs at the start say which), so a
    relu MLP that fits the points has fitted them. Never a loss the submission reports.
    """
    count = mlp.parameter_count(task.nin, task.nouts)
    params = answer["parameters"]
    if answer["count"] != count or len(params) != count or not all(isinstance(p, float) for p in params):
        raise AssertionError(f"the trained MLP({task.nin}, {list(task.nouts)}) does not have {count} numeric parameters")
    found = _forward_of(answer["start_outputs"], task)
    if found is None:
        # The grader wrote the start through the contract's structure, or, without it, through
        # parameters(): a parameters() charged in M3 explains outputs that do not match.
        profile.require("Neuron.parameters", "Layer.parameters", "MLP.parameters")
        # The feedback of the contract's network, the one the student is asked for.
        expect_all_close(answer["start_outputs"], [mlp.predict(task.start, task.nin, task.nouts, x) for x in task.xs],
                         "after the grader set every parameter's .data, your MLP's output for training point",
                         context="the model must compute with the very Values that parameters() returns", rel=1e-6)
        raise AssertionError("after the grader set every parameter's .data, your MLP's outputs are not those of an "
                             "MLP with these parameters: it must compute with the very Values parameters() returns")
    return mlp.mse(params, task.nin, task.nouts, task.xs, task.ys, *found), found


def _expect_trained(loss, found, task, trained_by: str) -> None:
    """The loss is below the target; or, for a network other than the contract's (charged
    in M3, not again here), no worse than exact SGD makes it on that very network from the
    same start: the task is learnable by construction for the contract's network only, and
    a relu or all-tanh MLP must not lose these points for its activation."""
    bar, said = task.target_mse, f"it should fall below {task.target_mse}"
    if found != FORWARDS[0]:
        try:
            params, _ = mlp.sgd_train(task.start, task.nin, task.nouts, task.xs, task.ys, task.epochs, task.lr, *found)
            own = mlp.mse(params, task.nin, task.nouts, task.xs, task.ys, *found)
        except OverflowError:
            own = math.inf
        # Where exact SGD diverges on that network the target stands: a network chosen to make
        # the task unlearnable must not excuse its training from being judged.
        if math.isfinite(own) and own >= bar:
            bar = own * (1 + 1e-6) + 1e-12
            said = (f"exact SGD on your network ({found[0]} hidden layers, {found[1]} output) reaches "
                    f"{fmt(own)} from the same start, and yours should too")
    assert loss < bar, (f"from the grader's starting weights (MSE {fmt(task.start_mse)}), {trained_by} to "
                        f"{fmt(loss)}; {said}")


def _steps_follow_backward(answer, lr: float) -> None:
    """Every step train() took is -lr times the gradients the submission's backward() left."""
    steps = answer.get("steps") or []
    if not steps:
        raise AssertionError("train() never called loss.backward(): its steps must follow the gradients "
                             "backward() computes")
    # Only the first steps are recorded (the answer's size is capped): the last is checked
    # against the parameters it left, "after_steps".
    after = [s["data"] for s in steps[1:]] + [answer.get("after_steps", answer["parameters"])]
    for k, (step, data) in enumerate(zip(steps, after)):
        want = [d - lr * g if isinstance(d, float) and isinstance(g, float) else None
                for d, g in zip(step["data"], step["grads"])]
        if len(data) != len(want) or not all(w is not None and isinstance(a, float) and close(a, w, rel=1e-6, abs_=1e-9)
                                             for a, w in zip(data, want)):
            raise AssertionError(
                f"step {k + 1} of train() did not move the parameters by -lr x the gradients your backward() "
                "had just computed (p.data -= lr * p.grad): learning must come from backward()")


def test_your_training_reaches_mse_below_0_01(sandbox, grading, profile, check_seed):
    task, args = _task(grading)
    what = f"train(MLP({task.nin}, {list(task.nouts)}), {task.what}, epochs={task.epochs}, lr={task.lr})"
    answer = sandbox.call(probes.TRAIN_FIT, what, timeout=60, seed=check_seed, **args)
    loss, found = _final_mse(answer, task, profile)
    _steps_follow_backward(answer, task.lr)
    _expect_trained(loss, found, task, f"train() brought the MSE on the training points ({task.what})")


def _loop_ops(profile) -> dict:
    """The operators the grader's own loop writes its loss with: working ones (a wrong
    __sub__ is charged in M1, not again here). It adds the terms up with + in any case."""
    profile.require("add")
    choose = {"residual": ("sub", "add"), "square": ("pow", "mul"), "mean": ("mul", "div")}
    ops = {}
    for step, kinds in choose.items():
        ops[step] = next((k for k in kinds if profile.works(k)), None)
        if ops[step] is None:
            profile.require(kinds[0])
    return ops


def test_your_mlp_trained_by_the_graders_loop_converges(sandbox, grading, profile, check_seed):
    task, args = _task(grading)
    what = f"the grader's own SGD loop on your MLP({task.nin}, {list(task.nouts)})"
    answer = sandbox.call(probes.TRAIN_FIT_WITH_GRADER_LOOP, what, timeout=60, seed=check_seed, ops=_loop_ops(profile), **args)
    loss, found = _final_mse(answer, task, profile)
    _expect_trained(loss, found, task, "the grader's own SGD loop with your forward and backward brought the MSE")
