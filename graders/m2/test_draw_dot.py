"""M2: draw_dot draws one node per Value, one per operation, and operand -> op -> result edges."""
import re

from micrograde.exprgen import Op, Program
from micrograde.probes import names as probes

PROGRAM = Program(inputs=(2.0, -3.0, 0.5), ops=(
    Op("mul", (("n", 0), ("n", 1))),
    Op("add", (("n", 3), ("n", 2))),
    Op("tanh", (("n", 4),)),
))
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


def _draw(sandbox):
    answer = sandbox.call(probes.VIZ_DRAW_DOT, "draw_dot(root)", program=PROGRAM.to_json())
    assert answer["source"] is not None, f"draw_dot should return a graphviz.Digraph, returned a {answer['type']}"
    return answer, *parse(answer["source"])


def test_draw_dot_has_a_node_per_value_and_per_operation(sandbox):
    answer, nodes, _ = _draw(sandbox)
    want = answer["values"] + answer["operations"]
    assert len(nodes) == want, (
        f"the graph has {answer['values']} Values and {answer['operations']} operations, so draw_dot should "
        f"draw {want} nodes; it drew {len(nodes)}")


def test_draw_dot_edges_run_from_operands_through_the_operation(sandbox):
    answer, _, edges = _draw(sandbox)
    want = answer["operands"] + answer["operations"]
    assert len(edges) == want, (
        f"draw_dot should draw {want} edges (one per operand into its op node, one from each op node to "
        f"its result); it drew {len(edges)}")


def _shows(labels: str, value: float) -> bool:
    return any(s in labels for s in {f"{value:.4f}", f"{value:.3f}", f"{value:.2f}", repr(value), f"{value:g}"})


def test_draw_dot_labels_show_each_values_data(sandbox):
    answer, nodes, _ = _draw(sandbox)
    labels = " ".join(nodes.values())
    for value in answer["data"]:
        assert _shows(labels, value), f"no node label shows the data {value:.4f} of a Value in the graph"


def test_draw_dot_labels_show_each_values_grad(sandbox):
    answer, nodes, _ = _draw(sandbox)
    labels = " ".join(nodes.values())
    for grad in answer["grads"]:
        assert _shows(labels, grad), f"no node label shows the grad {grad:.4f} of a Value in the graph"
