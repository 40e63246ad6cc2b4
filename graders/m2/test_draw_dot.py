"""M2: draw_dot draws one node per Value, one per operation, and operand -> op -> result edges."""
import re

from micrograde.exprgen import Op, Program
from micrograde.probes import names as probes

def program(profile) -> Program:
    """x0 * x1 + x2, activated: drawn from the capability profile, so that an engine without
    tanh (relu-only micrograd) or with a wrong operator still has its draw_dot graded. The
    labels are compared with the submission's own data, so an operator that computes
    wrongly still draws a graph; one that is missing, raises or hangs is replaced."""
    first, second = (_working(profile, prefer) for prefer in (("mul", "add", "sub", "div"), ("add", "mul", "sub", "div")))
    ops = [Op(first, (("n", 0), ("n", 1))), Op(second, (("n", 3), ("n", 2)))]
    activation = next((k for k in ("tanh", "relu") if profile.runs(k)), None)
    if activation is not None:
        ops.append(Op(activation, (("n", 4),)))
    return Program(inputs=(2.0, -3.0, 0.5), ops=tuple(ops))


def _working(profile, prefer) -> str:
    kind = next((k for k in prefer if profile.runs(k)), None)
    if kind is None:
        profile.require(prefer[0])
    return kind
NODE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[\w.]+)\s*\[(.*)\]\s*;?\s*$')
EDGE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[\w.]+)\s*->\s*("(?:[^"\\]|\\.)*"|[\w.]+)')


def parse(source: str):
    nodes, edges = {}, []
    for line in source.splitlines():
        if (edge := EDGE.match(line)):
            edges.append(edge.groups())
        elif (node := NODE.match(line)) and node.group(1) not in ("graph", "node", "edge"):
            nodes[node.group(1)] = node.group(2)
    return nodes, edges


def _draw(sandbox, profile):
    answer = sandbox.call(probes.VIZ_DRAW_DOT, "draw_dot(root)", program=program(profile).to_json())
    assert answer["source"] is not None, f"draw_dot should return a graphviz.Digraph, returned a {answer['type']}"
    return answer, *parse(answer["source"])


def test_draw_dot_has_a_node_per_value_and_per_operation(sandbox, profile):
    answer, nodes, _ = _draw(sandbox, profile)
    want = answer["values"] + answer["operations"]
    assert len(nodes) == want, (
        f"the graph has {answer['values']} Values and {answer['operations']} operations, so draw_dot should "
        f"draw {want} nodes; it drew {len(nodes)}")


def test_draw_dot_edges_run_from_operands_through_the_operation(sandbox, profile):
    answer, _, edges = _draw(sandbox, profile)
    want = answer["operands"] + answer["operations"]
    assert len(edges) == want, (
        f"draw_dot should draw {want} edges (one per operand into its op node, one from each op node to "
        f"its result); it drew {len(edges)}")


def _shows(labels: str, value: float) -> bool:
    return any(s in labels for s in {f"{value:.4f}", f"{value:.3f}", f"{value:.2f}", repr(value), f"{value:g}"})


def test_draw_dot_labels_show_each_values_data(sandbox, profile):
    answer, nodes, _ = _draw(sandbox, profile)
    labels = " ".join(nodes.values())
    for value in answer["data"]:
        assert _shows(labels, value), f"no node label shows the data {value:.4f} of a Value in the graph"


def test_draw_dot_labels_show_each_values_grad(sandbox, profile):
    answer, nodes, _ = _draw(sandbox, profile)
    labels = " ".join(nodes.values())
    for grad in answer["grads"]:
        assert _shows(labels, grad), f"no node label shows the grad {grad:.4f} of a Value in the graph"
