"""M3: a Layer is a list of neurons; an MLP stacks layers, hidden ones activated, the last linear."""
from micrograde import capabilities
from micrograde.errors import NotGradedSeparately, SubmissionError
from micrograde.expect import expect_all_close
from micrograde.probes import names as probes
from micrograde.trusted import mlp


def _layer(sandbox, profile, nout, check_seed):
    """What a Layer returns is its subject, not its activation: if the default (tanh) layer
    fails and tanh does not work (charged in M2), the layer is built linear instead."""
    x = [0.5, -1.0, 0.25]
    try:
        return sandbox.call(probes.NN_LAYER, f"Layer(3, {nout})(x)", nin=3, nout=nout, x=x, seed=check_seed)
    except (SubmissionError, NotGradedSeparately):
        if profile.works("tanh"):
            raise
    try:
        return sandbox.call(probes.NN_LAYER, f"Layer(3, {nout}, activation='linear')(x)", nin=3, nout=nout,
                            x=x, seed=check_seed, activation="linear")
    except (SubmissionError, NotGradedSeparately):
        profile.require("tanh")
        raise


def _mlp(sandbox, profile, nin, nouts, check_seed):
    return capabilities.mlp_parameters(sandbox, profile, nin, nouts, check_seed)


def test_layer_returns_one_output_per_neuron(sandbox, profile, check_seed):
    answer = _layer(sandbox, profile, 4, check_seed)
    assert answer["returns"] == "list" and answer["length"] == 4, (
        f"Layer(3, 4)(x) should return a list of 4 Values; it returned a {answer['returns']} of length {answer['length']}")


def test_layer_with_one_neuron_returns_a_value(sandbox, profile, check_seed):
    answer = _layer(sandbox, profile, 1, check_seed)
    assert answer["returns"] == "value", f"Layer(3, 1)(x) should return the single Value itself, not a {answer['returns']}"


# The parameter checks own Layer.parameters and MLP.parameters in the capability profile
# (micrograde/capabilities.py): MLP's are measured with the contract's Neuron and Layer
# parameters() standing in for failing ones, so a misnamed Layer method costs only its own check.
def test_layer_parameters_in_neuron_order(owned):
    owned()  # Layer(3, 4).parameters(): 16, neuron by neuron


def test_mlp_3_4_4_1_has_41_parameters(owned):
    owned()  # (3*4+4) + (4*4+4) + (4*1+1) = 41


def test_mlp_parameter_count_for_several_shapes(owned):
    owned()  # MLP(1, [1]), MLP(4, [3, 2]), MLP(2, [16, 16, 1]): distinct Values


def test_mlp_parameters_in_layer_order(sandbox, profile, check_seed):
    profile.require("MLP.parameters")
    assert _mlp(sandbox, profile, 3, [4, 4, 1], check_seed)["parameters_in_layer_order"], (
        "MLP.parameters() should list the layers' parameters, first layer first")


# Large weights and an output bias of 1.5: a tanh (or a missing one) anywhere shows in the output.
PARAMS = [1.5, -2.0, 0.4, -1.0, 2.5, 0.1, 0.7, 1.8, -0.6, 1.2, -1.1, 0.9, 1.5]
XS = [[1.0, 0.5], [-0.8, 1.2], [0.3, -1.5]]


def _forward(sandbox, activation, check_seed):
    what = f"MLP(2, [3, 1]{'' if activation is None else f', activation={activation!r}'})(x)"
    return sandbox.call(probes.NN_MLP_FORWARD, what, nin=2, nouts=[3, 1], activation=activation,
                        parameters=PARAMS, xs=XS, seed=check_seed)


def test_mlp_hidden_layers_use_tanh_and_the_output_is_linear(sandbox, check_seed):
    answer = _forward(sandbox, None, check_seed)
    want = [mlp.predict(PARAMS, 2, [3, 1], x) for x in XS]
    expect_all_close(answer["outputs"], want, "MLP(2, [3, 1]) output (hidden tanh, linear output) for input")


def test_mlp_activation_argument_reaches_the_hidden_layers(sandbox, check_seed):
    for activation in ("relu", "linear"):
        answer = _forward(sandbox, activation, check_seed)
        want = [mlp.predict(PARAMS, 2, [3, 1], x, activation) for x in XS]
        expect_all_close(answer["outputs"], want, f"MLP(2, [3, 1], activation={activation!r}) output for input")


def test_zero_grad_resets_every_parameter(sandbox, profile, check_seed):
    grads = sandbox.call(probes.NN_ZERO_GRAD, "MLP(3, [4, 1]).zero_grad()", nin=3, nouts=[4, 1], seed=check_seed,
                         stand_ins=profile.stand_ins("zero_grad"))
    assert grads and all(g == 0.0 for g in grads), f"after zero_grad() every parameter's grad should be 0.0, found {grads[:6]}"
