"""M4: mse_loss and SGD, value by value."""
from micrograde.expect import expect_all_close, expect_close
from micrograde.probes import names as probes

PREDS, TARGETS = [0.5, -1.0, 2.0], [1.0, 0.0, 1.5]
DATA, GRADS = [1.0, -2.0, 0.5], [0.5, -1.0, 2.0]


def test_mse_is_the_mean_of_squared_differences(sandbox):
    answer = sandbox.call(probes.LOSSES_MSE, "mse_loss(predictions, targets)", predictions=PREDS, targets=TARGETS)
    n = len(PREDS)
    expect_close(answer["data"], sum((p - y) ** 2 for p, y in zip(PREDS, TARGETS)) / n,
                 "mse_loss([0.5, -1.0, 2.0], [1.0, 0.0, 1.5])")
    expect_all_close(answer["grads"], [2 * (p - y) / n for p, y in zip(PREDS, TARGETS)],
                     "gradient of mse_loss for prediction")


def test_mse_rejects_empty_input(sandbox):
    answer = sandbox.call(probes.LOSSES_MSE_RAISES, "mse_loss([], [])", predictions=[], targets=[])
    assert answer["raised"] == "ValueError", f"mse_loss([], []) should raise ValueError, it {_did(answer)}"


def test_mse_rejects_mismatched_lengths(sandbox):
    answer = sandbox.call(probes.LOSSES_MSE_RAISES, "mse_loss(2 predictions, 1 target)", predictions=[0.5, 1.0], targets=[1.0])
    assert answer["raised"] == "ValueError", f"mse_loss with 2 predictions and 1 target should raise ValueError, it {_did(answer)}"


def _did(answer) -> str:
    return f"raised {answer['raised']}" if answer["raised"] else f"returned {answer.get('returned')}"


def _step(sandbox, lr, weight_decay):
    what = f"SGD(params, lr={lr}{'' if weight_decay is None else f', weight_decay={weight_decay}'}).step()"
    return sandbox.call(probes.OPTIM_SGD_STEP, what, data=DATA, grads=GRADS, lr=lr, weight_decay=weight_decay)


def test_sgd_step_subtracts_lr_times_grad(sandbox):
    answer = _step(sandbox, 0.1, None)
    expect_all_close(answer["data"], [d - 0.1 * g for d, g in zip(DATA, GRADS)], "p.data after one step, parameter")


def test_sgd_step_applies_weight_decay(sandbox):
    answer = _step(sandbox, 0.1, 0.5)
    expect_all_close(answer["data"], [d - 0.1 * (g + 0.5 * d) for d, g in zip(DATA, GRADS)],
                     "p.data after one step with weight_decay=0.5 (p.data -= lr * (p.grad + wd * p.data)), parameter")


def test_sgd_step_adds_nothing_to_the_graph(sandbox):
    answer = _step(sandbox, 0.1, None)
    assert all(isinstance(d, float) for d in answer["data"]), (
        f"after step() p.data should still be a number, found {answer['data']}: update p.data, not p itself")
    assert all(n == 0 for n in answer["operands"]), "after step() a parameter has operands: update .data, not through Value arithmetic"


def test_sgd_zero_grad_resets_gradients(sandbox):
    grads = sandbox.call(probes.OPTIM_SGD_ZERO_GRAD, "SGD(params).zero_grad()", data=DATA, grads=GRADS)
    assert grads == [0.0] * len(DATA), f"after SGD.zero_grad() every grad should be 0.0, found {grads}"
