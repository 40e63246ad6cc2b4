"""The mutant corpus: the corpus base (the reference with its engine written out operator
by operator, tests/corpus_engine.py) with one classic student bug each, as small patches.

Each `Mutant(id, milestone, patches, blame)`: `patches` are (module, old, new) for
`corpus.patched_reference` (each `old` occurs exactly once in the base); grading
`milestone` must cost points, and the feedback of a failing check must contain `blame`,
the name of the operation or method at fault.
"""
from typing import NamedTuple


class Mutant(NamedTuple):
    id: str
    milestone: str
    patches: tuple
    blame: str


def _m(id, milestone, blame, *patches):
    return Mutant(id, milestone, tuple(patches), blame)


# Snippets of the corpus base that several mutants edit.
ADD_GRADS = "self.grad += out.grad\n                other.grad += out.grad"
MUL_GRADS = "self.grad += other.data * out.grad\n                other.grad += self.data * out.grad"
POW_GRAD = "self.grad += other * self.data ** (other - 1) * out.grad"
NEG_BACKWARD = '(-self.data, (self,), "neg")\n\n        def _backward():\n            self.grad -= out.grad'
RSUB_DEF = "def __rsub__(self, other):  # other - self: not the same as self - other\n"
RSUB_GRAD = "self.grad -= out.grad\n\n        out._backward = _backward\n        return out\n\n    def __rtruediv__"
RTRUEDIV_DEF = "def __rtruediv__(self, other):  # other / self\n"
TANH_GRAD = "self.grad += (1.0 - t * t) * out.grad"
RELU_GRAD = "            if out.data > 0:\n                self.grad += out.grad"
SEED = "self.grad = 1.0\n        # Reverse"
WEIGHTS = "self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]"
SGD_UPDATE = "p.data -= self.lr * (p.grad + self.weight_decay * p.data)"


MUTANTS = [
    # ---------------------------------------------------------------- M1: Value and operators
    _m("add_assigns_instead_of_accumulating", "m1", "x0 + x0",
       ("engine", ADD_GRADS, "self.grad = out.grad\n                other.grad = out.grad")),
    _m("mul_assigns_instead_of_accumulating", "m1", "x0 * x0",
       ("engine", MUL_GRADS, "self.grad = other.data * out.grad\n                other.grad = self.data * out.grad")),
    _m("pow_assigns_instead_of_accumulating", "m1", "**",
       ("engine", POW_GRAD, "self.grad = other * self.data ** (other - 1) * out.grad")),
    _m("mul_gradients_swapped", "m1", "x0 * x1",
       ("engine", MUL_GRADS, "self.grad += self.data * out.grad\n                other.grad += other.data * out.grad")),
    _m("mul_by_constant_gradient_is_one", "m1", "__mul__",
       ("engine", "self.grad += other * out.grad", "self.grad += out.grad")),
    _m("add_passes_gradient_to_one_operand_only", "m1", "x0 + x1",
       ("engine", ADD_GRADS, "self.grad += out.grad")),
    _m("div_numerator_gradient_times_b", "m1", "x0 / x1",
       ("engine", "self.grad += out.grad / other.data", "self.grad += out.grad * other.data")),
    _m("div_denominator_gradient_sign", "m1", "x0 / x1",
       ("engine", "other.grad -= out.grad * self.data / other.data**2",
        "other.grad += out.grad * self.data / other.data**2")),
    _m("div_denominator_gradient_not_squared", "m1", "x0 / x1",
       ("engine", "other.grad -= out.grad * self.data / other.data**2",
        "other.grad -= out.grad * self.data / other.data")),
    _m("pow_backward_missing_k", "m1", "**",
       ("engine", POW_GRAD, "self.grad += self.data ** (other - 1) * out.grad")),
    _m("pow_backward_wrong_exponent", "m1", "**",
       ("engine", POW_GRAD, "self.grad += other * self.data ** other * out.grad")),
    _m("sub_gradient_of_b_is_plus_one", "m1", "x0 - x1",
       ("engine", "other.grad -= out.grad\n\n        elif", "other.grad += out.grad\n\n        elif")),
    _m("sub_constant_is_reversed", "m1", "x0 - 4",
       ("engine", 'Value(self.data - other, (self,), "-")', 'Value(other - self.data, (self,), "-")')),
    _m("neg_does_not_flip_the_gradient", "m1", "-x0",
       ("engine", NEG_BACKWARD, NEG_BACKWARD.replace("-= out.grad", "+= out.grad"))),
    _m("neg_does_not_flip_the_value", "m1", "-x0",
       ("engine", 'Value(-self.data, (self,), "neg")', 'Value(self.data, (self,), "neg")')),
    _m("radd_missing", "m1", "__radd__",
       ("engine", "def __radd__(", "def _unused_radd(")),
    _m("rmul_missing", "m1", "__rmul__",
       ("engine", "def __rmul__(", "def _unused_rmul(")),
    _m("rsub_missing", "m1", "__rsub__",
       ("engine", "def __rsub__(", "def _unused_rsub(")),
    _m("rtruediv_missing", "m1", "__rtruediv__",
       ("engine", "def __rtruediv__(", "def _unused_rtruediv(")),
    _m("rsub_operands_swapped", "m1", "__rsub__",
       ("engine", RSUB_DEF, RSUB_DEF + "        return self - other\n")),
    _m("rtruediv_operands_swapped", "m1", "__rtruediv__",
       ("engine", RTRUEDIV_DEF, RTRUEDIV_DEF + "        return self / other\n")),
    _m("rsub_gradient_sign", "m1", "__rsub__",
       ("engine", RSUB_GRAD, RSUB_GRAD.replace("-=", "+=", 1))),
    _m("rtruediv_gradient_sign", "m1", "__rtruediv__",
       ("engine", "self.grad -= out.grad * other / self.data**2", "self.grad += out.grad * other / self.data**2")),
    _m("mul_does_not_record_its_operands", "m1", "_prev",
       ("engine", 'Value(self.data * other.data, (self, other), "*")', 'Value(self.data * other.data, (), "*")')),
    _m("repr_hides_the_gradient", "m1", "repr",
       ("engine", 'f"Value(data={self.data}, grad={self.grad})"', 'f"Value(data={self.data})"')),

    # ---------------------------------------------------------------- M2: backward, activations, gradcheck
    _m("backward_in_topological_not_reverse_order", "m2", "backward()",
       ("engine", "for node in reversed(order):", "for node in order:")),
    _m("backward_without_a_visited_set", "m2", "backward()",
       ("engine", "if node in visited:\n", "if False:\n"),
       ("engine", "if child not in visited:\n", "if True:\n")),
    _m("backward_does_not_seed_the_root", "m2", "backward()",
       ("engine", SEED, "# Reverse")),
    _m("backward_zeroes_gradients_first", "m2", "backward()",
       ("engine", SEED, "for node in order:\n            node.grad = 0.0\n        " + SEED)),
    _m("tanh_backward_from_the_input", "m2", "tanh",
       ("engine", TANH_GRAD, "self.grad += (1.0 - self.data ** 2) * out.grad")),
    _m("tanh_backward_ignores_the_upstream_gradient", "m2", "tanh",
       ("engine", TANH_GRAD, "self.grad += 1.0 - t * t")),
    _m("tanh_overflows_for_large_inputs", "m2", "tanh",
       ("engine", "t = math.tanh(self.data)",
        "t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)")),
    _m("relu_leaks_gradient_below_zero", "m2", "relu",
       ("engine", RELU_GRAD, "            self.grad += out.grad")),
    _m("relu_backward_ignores_the_upstream_gradient", "m2", "relu",
       ("engine", RELU_GRAD, RELU_GRAD.replace("+= out.grad", "+= 1.0"))),
    _m("relu_passes_negative_values", "m2", "relu",
       ("engine", "self.data if self.data > 0 else 0.0", "self.data")),
    _m("relu_gradient_one_at_zero", "m2", "relu",
       ("engine", RELU_GRAD, RELU_GRAD.replace(">", ">="))),
    _m("gradcheck_always_passes", "m2", "gradcheck",
       ("gradcheck", "return all(", "return True or all(")),
    _m("numerical_grad_one_sided", "m2", "numerical_grad",
       ("gradcheck", "down = f([Value(x) for x in shifted_down]).data", "down = f([Value(x) for x in xs]).data"),
       ("gradcheck", "(up - down) / (2 * h)", "(up - down) / h")),
    _m("draw_dot_without_op_to_result_edges", "m2", "draw_dot",
       ("viz", "dot.edge(op_name, name)", "pass  # no edge from the operation to its result")),
    _m("draw_dot_labels_without_grad", "m2", "grad",
       ("viz", " | grad {v.grad:.4f} }}", " }}")),
    _m("gradcheck_tolerance_far_too_loose", "m2", "gradcheck",
       ("gradcheck", "def gradcheck(f, xs, h=1e-06, rtol=1e-05, atol=1e-08):",
        "def gradcheck(f, xs, h=1e-06, rtol=1e-05, atol=1e-08):\n    rtol = 0.5")),

    # ---------------------------------------------------------------- M3: Neuron, Layer, MLP
    _m("weights_start_at_zero", "m3", "weight",
       ("nn", WEIGHTS, "self.w = [Value(0.0) for _ in range(nin)]")),
    _m("weights_all_positive", "m3", "weight",
       ("nn", WEIGHTS, "self.w = [Value(random.uniform(0, 1)) for _ in range(nin)]")),
    _m("bias_missing_from_parameters", "m3", "parameters",
       ("nn", "return self.w + [self.b]", "return self.w")),
    _m("last_layer_missing_from_parameters", "m3", "parameters",
       ("nn", "for layer in self.layers for p in layer.parameters()",
        "for layer in self.layers[:-1] for p in layer.parameters()")),
    _m("output_layer_uses_tanh", "m3", "MLP",
       ("nn", 'activation if i < last else "linear"', "activation")),
    _m("layer_of_one_neuron_returns_a_list", "m3", "Layer(3, 1)",
       ("nn", "return outs[0] if len(outs) == 1 else outs", "return outs")),
    _m("neuron_ignores_its_activation", "m3", "Neuron",
       ("nn", 'if self.activation == "tanh":\n            return act.tanh()',
        "return act.tanh()")),
    _m("layer_ignores_the_activation_argument", "m3", "MLP",
       ("nn", "self.neurons = [Neuron(nin, activation) for _ in range(nout)]",
        "self.neurons = [Neuron(nin) for _ in range(nout)]")),
    _m("module_zero_grad_does_nothing", "m3", "zero_grad",
       ("nn", "for p in self.parameters():\n            p.grad = 0.0", "for p in self.parameters():\n            pass")),

    # ---------------------------------------------------------------- M4: loss, SGD, training
    _m("sgd_ascends_the_gradient", "m4", "step",
       ("optim", SGD_UPDATE, "p.data += self.lr * (p.grad + self.weight_decay * p.data)")),
    _m("sgd_ignores_weight_decay", "m4", "weight_decay",
       ("optim", SGD_UPDATE, "p.data -= self.lr * p.grad")),
    _m("sgd_zero_grad_does_nothing", "m4", "zero_grad",
       ("optim", "p.grad = 0.0", "pass")),
    _m("mse_is_summed_not_averaged", "m4", "mse_loss",
       ("losses", "return total / len(predictions)", "return total")),
    _m("mse_is_not_squared", "m4", "mse_loss",
       ("losses", "(p - t) ** 2 for p, t", "(p - t) for p, t")),
    _m("mse_silent_on_mismatched_lengths", "m4", "mse_loss",
       ("losses", "if len(predictions) != len(targets):", "if False:")),
    _m("train_never_zeroes_gradients", "m4", "zero_grad",
       ("train", "        optimizer.zero_grad()\n", "")),
    _m("train_reports_one_loss_not_one_per_epoch", "m4", "per epoch",
       ("train", "    return history\n", "    return history[-1:]\n")),
    _m("train_history_holds_values_not_floats", "m4", "float",
       ("train", "history.append(float(loss.data))", "history.append(loss)")),
]

MILESTONES = ("m1", "m2", "m3", "m4")
