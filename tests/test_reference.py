"""The reference solution, tested on its own (no grader involved)."""
import gc
import math
import random

import pytest


@pytest.fixture(scope="module")
def mg(load_micrograd):
    return load_micrograd("reference")


@pytest.fixture(scope="module")
def Value(mg):
    return mg.engine.Value


def finite_difference(f, Value, xs, h=1e-6):
    """Central differences of f (list of Values -> Value) at floats xs; test-side, not the reference's."""
    grads = []
    for i in range(len(xs)):
        up = [Value(x + (h if j == i else 0.0)) for j, x in enumerate(xs)]
        down = [Value(x - (h if j == i else 0.0)) for j, x in enumerate(xs)]
        grads.append((f(up).data - f(down).data) / (2 * h))
    return grads


def analytic(f, Value, xs):
    vs = [Value(x) for x in xs]
    out = f(vs)
    out.backward()
    return out, [v.grad for v in vs]


def count_nodes(root):
    seen, stack = set(), [root]
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(v._prev)
    return len(seen)


# ----------------------------------------------------------------------- engine: M1


def test_value_basics(Value):
    v = Value(2)
    assert isinstance(v.data, float) and v.data == 2.0
    assert v.grad == 0.0
    assert len(v._prev) == 0 and v._op == ""
    assert repr(v) == "Value(data=2.0, grad=0.0)"
    v.grad = 1.5
    assert repr(v) == "Value(data=2.0, grad=1.5)"


def test_forward_values_of_all_operators(Value):
    a, b = Value(3.0), Value(-2.0)
    assert (a + b).data == 1.0
    assert (a - b).data == 5.0
    assert (a * b).data == -6.0
    assert (a / b).data == -1.5
    assert (a**2).data == 9.0
    assert (Value(4.0) ** 0.5).data == 2.0
    assert (-a).data == -3.0
    assert (a + 1).data == 4.0 and (a - 1).data == 2.0
    assert (a * 2).data == 6.0 and (a / 2).data == 1.5


def test_results_remember_their_operands(Value):
    a, b = Value(3.0), Value(-2.0)
    c = a * b
    assert set(map(id, c._prev)) == {id(a), id(b)}
    assert c._op
    assert (a + 1)._prev[0] is a and [v.data for v in (a + 1)._prev[1:]] == [1.0]  # the constant: a leaf


@pytest.mark.parametrize(
    "expr, data, grad",
    [
        (lambda v: 2 + v, 6.0, 1.0),
        (lambda v: 2 * v, 8.0, 2.0),
        (lambda v: 2 - v, -2.0, -1.0),  # not v - 2
        (lambda v: 2 / v, 0.5, -2.0 / 16.0),  # d(2/v)/dv = -2/v**2
        (lambda v: 2.5 + v * 1, 6.5, 1.0),
    ],
    ids=["radd", "rmul", "rsub", "rtruediv", "float-radd"],
)
def test_reverse_operators(Value, expr, data, grad):
    v = Value(4.0)
    out = expr(v)
    assert isinstance(out, Value)
    assert out.data == pytest.approx(data)
    out.backward()
    assert v.grad == pytest.approx(grad)


def test_pow_only_takes_numbers(Value):
    with pytest.raises(TypeError):
        Value(2.0) ** Value(3.0)


# ---------------------------------------------------------------------- engine: M2


def test_hand_derived_gradients(Value):
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    L = (a * b + c) ** 2
    L.backward()
    assert L.data == 16.0
    # dL/da = 2(ab + c) * b, dL/db = 2(ab + c) * a, dL/dc = 2(ab + c)
    assert (a.grad, b.grad, c.grad) == (-24.0, 16.0, 8.0)
    assert L.grad == 1.0


def test_division_gradient_sign(Value):
    a, b = Value(3.0), Value(2.0)
    (a / b).backward()
    assert a.grad == pytest.approx(0.5)  # 1/b
    assert b.grad == pytest.approx(-0.75)  # -a/b**2: negative


def test_sub_and_neg_gradients(Value):
    a, b = Value(3.0), Value(2.0)
    (a - b).backward()
    assert (a.grad, b.grad) == (1.0, -1.0)
    c = Value(5.0)
    (-c).backward()
    assert c.grad == -1.0


def test_pow_gradient_int_and_float_exponent(Value):
    x = Value(3.0)
    (x**3).backward()
    assert x.grad == pytest.approx(27.0)  # 3x**2
    y = Value(4.0)
    (y**0.5).backward()
    assert y.grad == pytest.approx(0.25)  # 0.5 / sqrt(y)
    z = Value(2.0)
    (z**-1).backward()
    assert z.grad == pytest.approx(-0.25)


EXPRESSIONS = {
    "square_of_affine": (lambda v: (v[0] * v[1] + v[2]) ** 2, [2.0, -3.0, 10.0]),
    "quotients": (lambda v: v[0] / v[1] + 2 / v[0] - 3 - v[1], [1.5, -0.7, 0.0]),
    "tanh_product": (lambda v: (v[0] * v[0] + v[0]) * v[1].tanh(), [0.3, -0.8, 0.0]),
    "relu_mix": (lambda v: (v[0] - v[1]).relu() * v[2] + (-v[0]) ** 3, [1.2, 0.4, -2.0]),
    "roots_and_reverse": (lambda v: 1 - v[0] / (v[1] * v[2]) + v[2] ** 0.5 + 3 * v[1], [0.9, 1.7, 2.5]),
    "shared_subexpression": (
        lambda v: (lambda d: ((d + v[0]) * d).tanh() + d / (1 + d * d))(v[0] * v[1]),
        [0.5, -1.3, 0.0],
    ),
}


@pytest.mark.parametrize("name", EXPRESSIONS)
def test_gradients_match_finite_differences(Value, name):
    f, xs = EXPRESSIONS[name]
    _, grads = analytic(f, Value, xs)
    numeric = finite_difference(f, Value, xs)
    assert grads == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_node_used_twice_accumulates(Value):
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0  # 2a, not a
    b = Value(3.0)
    (b + b).backward()
    assert b.grad == 2.0
    c = Value(2.0)
    d = c * 4
    (d * c + d).backward()  # d feeds two consumers: 8c + 4 = 20
    assert c.grad == 20.0


def test_backward_twice_doubles_one_op_gradients(Value):
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    c.backward()
    c.backward()
    assert a.grad == 2 * b.data
    assert b.grad == 2 * a.data


def test_deep_chain_of_a_million_multiplications(Value):
    x0 = Value(1.0)
    x = x0
    # This tests backward()'s depth, not allocation speed: pausing the cyclic GC while
    # the million nodes are built keeps the test fast.
    gc.disable()
    try:
        for _ in range(1_000_000):
            x = x * 1.0000001
        x.backward()
    finally:
        gc.enable()
    assert x0.grad == pytest.approx(1.0000001**1_000_000, rel=1e-6)
    del x, x0
    gc.collect()  # free the million nodes here rather than in some later test


@pytest.mark.parametrize("x", [1000.0, -1000.0])
def test_tanh_saturates_without_overflow(Value, x):
    v = Value(x)
    t = v.tanh()
    t.backward()
    assert t.data == math.copysign(1.0, x)
    assert v.grad == 0.0


def test_tanh_value_and_gradient_from_the_output(Value):
    v = Value(0.5)
    t = v.tanh()
    t.backward()
    assert t.data == pytest.approx(math.tanh(0.5))
    assert v.grad == pytest.approx(1 - math.tanh(0.5) ** 2)


@pytest.mark.parametrize("x, data, grad", [(0.0, 0.0, 0.0), (-1.5, 0.0, 0.0), (2.0, 2.0, 1.0)])
def test_relu(Value, x, data, grad):
    v = Value(x)
    r = v.relu()
    r.backward()
    assert r.data == data
    assert v.grad == grad


# --------------------------------------------------------------------- gradcheck, viz


def test_numerical_grad(mg):
    numerical_grad = mg.gradcheck.numerical_grad
    assert numerical_grad(lambda v: v[0] ** 3, [2.0]) == pytest.approx([12.0], rel=1e-6)
    assert numerical_grad(lambda v: v[0] * v[1], [2.0, -3.0]) == pytest.approx([-3.0, 2.0], rel=1e-6)


def test_gradcheck_accepts_correct_and_rejects_broken_backward(mg, Value):
    gradcheck = mg.gradcheck.gradcheck
    for f, xs in EXPRESSIONS.values():
        assert gradcheck(f, xs) is True

    def broken(v):
        out = v[0] * v[1]

        def forgot_the_other_factor():
            v[0].grad += out.grad
            v[1].grad += out.grad

        out._backward = forgot_the_other_factor
        return out

    assert gradcheck(broken, [2.0, -3.0]) is False


def test_draw_dot_has_a_node_per_value_and_per_op(mg, Value):
    import graphviz

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    d = c + a
    d.backward()
    dot = mg.viz.draw_dot(d)
    assert isinstance(dot, graphviz.Digraph)
    edges = [line for line in dot.body if "->" in line]
    nodes = [line for line in dot.body if "->" not in line and "[" in line]
    value_nodes = [line for line in nodes if "data" in line]
    assert len(value_nodes) == 4  # a, b, c, d
    assert len(nodes) - len(value_nodes) == 2  # *, +
    assert len(edges) == 6  # a->*, b->*, *->c, c->+, a->+, +->d
    assert all("grad" in line for line in value_nodes)
    assert any("data 2.0000" in line and "grad -2.0000" in line for line in value_nodes)


# ------------------------------------------------------------------------- nn: M3


def test_mlp_3_4_4_1_has_41_parameters(mg):
    model = mg.nn.MLP(3, [4, 4, 1])
    assert len(model.parameters()) == 41  # (3*4+4) + (4*4+4) + (4*1+1); not 33
    assert len({id(p) for p in model.parameters()}) == 41
    assert len(mg.nn.Layer(3, 4).parameters()) == 16
    assert len(mg.nn.Neuron(3).parameters()) == 4


def test_parameter_order_weights_then_bias_layer_by_layer(mg):
    model = mg.nn.MLP(3, [4, 2])
    expected = [p for layer in model.layers for n in layer.neurons for p in n.w + [n.b]]
    assert len(expected) == 4 * 4 + 2 * 5
    assert all(p is q for p, q in zip(model.parameters(), expected, strict=True))
    neuron = model.layers[0].neurons[0]
    assert neuron.parameters()[-1] is neuron.b


def test_neuron_draws_weights_then_bias_from_random(mg):
    random.seed(1234)
    expected = [random.uniform(-1, 1) for _ in range(6)]
    random.seed(1234)
    neuron = mg.nn.Neuron(5)
    assert [w.data for w in neuron.w] == expected[:5]
    assert neuron.b.data == expected[5]


def test_weights_random_in_range_and_not_all_equal(mg):
    random.seed(0)
    model = mg.nn.MLP(3, [4, 4, 1])
    values = [p.data for p in model.parameters()]
    assert all(-1.0 <= x <= 1.0 for x in values)
    assert len(set(values)) == len(values)
    for layer in model.layers:
        for neuron in layer.neurons:
            assert len({w.data for w in neuron.w}) == len(neuron.w)


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_neuron_activation(mg, activation):
    random.seed(3)
    neuron = mg.nn.Neuron(3, activation=activation)
    x = [0.5, -1.0, 2.0]
    pre = sum(w.data * xi for w, xi in zip(neuron.w, x)) + neuron.b.data
    expected = {"tanh": math.tanh(pre), "relu": max(pre, 0.0), "linear": pre}[activation]
    assert neuron(x).data == pytest.approx(expected)


def test_unknown_activation_is_rejected(mg):
    with pytest.raises(ValueError):
        mg.nn.Neuron(2, activation="sigmoid")


def test_layer_output_shape(mg, Value):
    one = mg.nn.Layer(3, 1)([1.0, 2.0, 3.0])
    assert isinstance(one, Value)
    many = mg.nn.Layer(3, 2)([1.0, 2.0, 3.0])
    assert isinstance(many, list) and len(many) == 2


def test_mlp_output_layer_is_linear(mg):
    random.seed(0)
    model = mg.nn.MLP(2, [4, 1])
    out_neuron = model.layers[-1].neurons[0]
    out_neuron.b.data = 10.0  # hidden |tanh| < 1 and |w| <= 1: the sum is within 10 +- 4
    x = [0.3, -0.2]
    hidden = model.layers[0](x)
    y = model(x)
    assert y.data > 1.0
    assert y.data == pytest.approx(sum(w.data * h.data for w, h in zip(out_neuron.w, hidden)) + 10.0)
    assert all(-1 < h.data < 1 for h in hidden)  # hidden layers do use tanh


def test_mlp_with_a_one_neuron_hidden_layer(mg, Value):
    model = mg.nn.MLP(2, [1, 3, 1])
    assert isinstance(model([0.1, 0.2]), Value)


def test_module_zero_grad(mg):
    model = mg.nn.MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# ---------------------------------------------------------------- losses, optim: M4


def test_mse_loss_value_and_gradient(mg, Value):
    p1, p2 = Value(1.0), Value(2.0)
    loss = mg.losses.mse_loss([p1, p2], [0.0, 4.0])
    assert isinstance(loss, Value)
    assert loss.data == pytest.approx(2.5)  # (1 + 4) / 2
    loss.backward()
    assert (p1.grad, p2.grad) == (pytest.approx(1.0), pytest.approx(-2.0))  # (p - t) * 2/n
    floats_only = mg.losses.mse_loss([1.0, 3.0], [1.0, 1.0])
    assert isinstance(floats_only, Value) and floats_only.data == pytest.approx(2.0)


@pytest.mark.parametrize("preds, targets", [([], []), ([1.0, 2.0], [1.0]), ([1.0], [1.0, 2.0])])
def test_mse_loss_rejects_empty_and_mismatched(mg, preds, targets):
    with pytest.raises(ValueError):
        mg.losses.mse_loss(preds, targets)


def test_sgd_step_with_weight_decay(mg, Value):
    p, q = Value(2.0), Value(-1.0)
    p.grad, q.grad = 0.5, -2.0
    opt = mg.optim.SGD([p, q], lr=0.1, weight_decay=0.01)
    opt.step()
    assert p.data == pytest.approx(2.0 - 0.1 * (0.5 + 0.01 * 2.0))
    assert q.data == pytest.approx(-1.0 - 0.1 * (-2.0 + 0.01 * -1.0))
    assert (p.grad, q.grad) == (0.5, -2.0)  # step leaves gradients alone
    opt.zero_grad()
    assert (p.grad, q.grad) == (0.0, 0.0)


def test_sgd_defaults(mg, Value):
    p = Value(1.0)
    p.grad = 1.0
    mg.optim.SGD([p]).step()
    assert p.data == pytest.approx(0.99)


def test_sgd_step_adds_nothing_to_the_graph(mg):
    random.seed(0)
    model = mg.nn.MLP(2, [3, 1])
    params = model.parameters()
    loss = mg.losses.mse_loss([model([0.5, -0.5]), model([1.0, 0.0])], [1.0, -1.0])
    loss.backward()
    before = count_nodes(loss)
    mg.optim.SGD(params, lr=0.1, weight_decay=0.1).step()
    assert count_nodes(loss) == before
    assert all(p is q for p, q in zip(model.parameters(), params, strict=True))
    assert all(len(p._prev) == 0 for p in params)
    assert count_nodes(model([0.5, -0.5])) == count_nodes(mg.nn.MLP(2, [3, 1])([0.5, -0.5]))


# ------------------------------------------------------------------------ train: M4


def xor_data(n_per_corner=6, seed=0):
    rng = random.Random(seed)
    xs, ys = [], []
    for sx, sy in [(-1, -1), (-1, 1), (1, -1), (1, 1)]:
        for _ in range(n_per_corner):
            xs.append([sx * rng.uniform(0.4, 1.0), sy * rng.uniform(0.4, 1.0)])
            ys.append(1.0 if sx == sy else -1.0)
    return xs, ys


def test_train_returns_one_float_per_epoch_and_zeroes_gradients(mg):
    xs, ys = xor_data(2)
    random.seed(5)
    model = mg.nn.MLP(2, [3, 1])
    random.seed(5)
    twin = mg.nn.MLP(2, [3, 1])
    initial_loss = mg.losses.mse_loss([twin(x) for x in xs], ys).data

    history = mg.train.train(model, xs, ys, epochs=5, lr=0.05)
    assert len(history) == 5 and all(type(h) is float for h in history)
    assert history[0] == pytest.approx(initial_loss)

    # The same loop by hand, with zero_grad: train() must end in the same place.
    opt = mg.optim.SGD(twin.parameters(), lr=0.05)
    for _ in range(5):
        loss = mg.losses.mse_loss([twin(x) for x in xs], ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert [p.data for p in model.parameters()] == pytest.approx([p.data for p in twin.parameters()])


def test_train_uses_a_given_optimizer(mg):
    xs, ys = xor_data(1)
    model = mg.nn.MLP(2, [2, 1])
    frozen = [p.data for p in model.parameters()]
    history = mg.train.train(model, xs, ys, epochs=3, optimizer=mg.optim.SGD([], lr=1.0))
    assert [p.data for p in model.parameters()] == frozen  # an optimizer over no parameters
    assert history[0] == history[-1]


def test_training_on_xor_reaches_small_mse(mg):
    xs, ys = xor_data(5)  # 20 points
    assert len(xs) >= 20
    random.seed(1)
    model = mg.nn.MLP(2, [4, 4, 1])
    history = mg.train.train(model, xs, ys, epochs=120, lr=0.3)
    final = sum((model(x).data - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
    assert final < 0.01
    assert history[-1] < history[0]


def test_plot_losses_writes_a_png(mg, tmp_path):
    path = tmp_path / "loss.png"
    mg.train.plot_losses([1.0, 0.5, 0.25, 0.1], path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 1000
