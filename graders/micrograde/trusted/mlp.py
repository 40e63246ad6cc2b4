"""A plain-float MLP, mean squared error and SGD, matching the contract's parameter order.

Parameters are one flat list: layer by layer, neuron by neuron, weights then bias.
Hidden layers use the activation, the last layer is linear.
"""
import math

ACTIVATIONS = {
    "tanh": (math.tanh, lambda out: 1.0 - out * out),
    "relu": (lambda z: z if z > 0 else 0.0, lambda out: 1.0 if out > 0 else 0.0),
    "linear": (lambda z: z, lambda out: 1.0),
}


def parameter_count(nin: int, nouts) -> int:
    sizes = [nin] + list(nouts)
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def _layers(params, nin, nouts):
    """Yield (weights, biases) per layer as nested lists, slicing the flat parameter list."""
    at, fan_in = 0, nin
    for nout in nouts:
        weights, biases = [], []
        for _ in range(nout):
            weights.append(params[at:at + fan_in])
            biases.append(params[at + fan_in])
            at += fan_in + 1
        yield weights, biases
        fan_in = nout


def forward(params, nin, nouts, x, activation="tanh", output="linear"):
    """Outputs of every layer for one input, the input first. `output`: the last layer's
    activation (linear in the contract; the lecture's MLP activates it too)."""
    act, out_act = ACTIVATIONS[activation][0], ACTIVATIONS[output][0]
    layers = list(_layers(params, nin, nouts))
    outs = [list(x)]
    for depth, (weights, biases) in enumerate(layers):
        last = depth == len(layers) - 1
        zs = [sum(w * v for w, v in zip(ws, outs[-1])) + b for ws, b in zip(weights, biases)]
        outs.append([(out_act if last else act)(z) for z in zs])
    return outs


def predict(params, nin, nouts, x, activation="tanh", output="linear") -> float:
    return forward(params, nin, nouts, x, activation, output)[-1][0]


def mse(params, nin, nouts, xs, ys, activation="tanh", output="linear") -> float:
    return sum((predict(params, nin, nouts, x, activation, output) - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


def mse_gradient(params, nin, nouts, xs, ys, activation="tanh", output="linear") -> list[float]:
    """d(mse)/d(params) by backpropagation, in the flat parameter order."""
    dact, dout = ACTIVATIONS[activation][1], ACTIVATIONS[output][1]
    layers = list(_layers(params, nin, nouts))
    grads = [[[0.0] * (len(ws) + 1) for ws in weights] for weights, _ in layers]
    for x, y in zip(xs, ys):
        outs = forward(params, nin, nouts, x, activation, output)
        upstream = [2.0 * (outs[-1][0] - y) / len(xs)]
        for depth in range(len(layers) - 1, -1, -1):
            weights, _ = layers[depth]
            last = depth == len(layers) - 1
            local = [u * (dout if last else dact)(o) for u, o in zip(upstream, outs[depth + 1])]
            below = outs[depth]
            for j in range(len(weights)):
                for i, v in enumerate(below):
                    grads[depth][j][i] += local[j] * v
                grads[depth][j][-1] += local[j]
            upstream = [sum(local[j] * weights[j][i] for j in range(len(weights))) for i in range(len(below))]
    return [g for layer in grads for neuron in layer for g in neuron]


def sgd_train(params, nin, nouts, xs, ys, epochs, lr, activation="tanh", output="linear"):
    """What train() must do: per epoch, the loss before the step, then one SGD step."""
    params = list(params)
    history = []
    for _ in range(epochs):
        history.append(mse(params, nin, nouts, xs, ys, activation, output))
        grads = mse_gradient(params, nin, nouts, xs, ys, activation, output)
        params = [p - lr * g for p, g in zip(params, grads)]
    return params, history
