"""The name of every probe, written once: the worker registers its probes under these
(`@probe(names.X)`) and the graders ask for them by constant, never by a raw string.

A name is "<contract module>.<what it checks>": the module names the milestone's file
the probe exercises. Standard library only: the worker imports it.
"""

AUTOGRAD_BACKWARD_PROGRAM = "autograd.backward_program"
AUTOGRAD_DOUBLE_BACKWARD = "autograd.double_backward"
AUTOGRAD_ACTIVATION = "autograd.activation"
AUTOGRAD_UPSTREAM = "autograd.upstream"
AUTOGRAD_DEEP_CHAIN = "autograd.deep_chain"

GRADCHECK_NUMERICAL_GRAD = "gradcheck.numerical_grad"
GRADCHECK_GRADCHECK = "gradcheck.gradcheck"

VIZ_DRAW_DOT = "viz.draw_dot"

ENGINE_OPERATIONS = "engine.operations"
ENGINE_CONSTRUCT = "engine.construct"
ENGINE_LOCAL_PROGRAM = "engine.local_program"
ENGINE_STRUCTURE = "engine.structure"
ENGINE_REPR = "engine.repr"

NN_NEURON_INIT = "nn.neuron_init"
NN_NEURON_FORWARD = "nn.neuron_forward"
NN_LAYER = "nn.layer"
NN_LAYER_PARAMETERS = "nn.layer_parameters"
NN_MLP_PARAMETERS = "nn.mlp_parameters"
NN_MLP_FORWARD = "nn.mlp_forward"
NN_ZERO_GRAD = "nn.zero_grad"

LOSSES_MSE = "losses.mse"
LOSSES_MSE_RAISES = "losses.mse_raises"

OPTIM_SGD_STEP = "optim.sgd_step"
OPTIM_SGD_ZERO_GRAD = "optim.sgd_zero_grad"

TRAIN_EXACT = "train.exact"
TRAIN_FIT = "train.fit"
TRAIN_FIT_WITH_GRADER_LOOP = "train.fit_with_grader_loop"
TRAIN_PLOT_LOSSES = "train.plot_losses"

COURSE_RUN = "course.run"
