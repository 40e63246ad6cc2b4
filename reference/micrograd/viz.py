"""Draw a computation graph with graphviz."""


def _record_text(text):
    # Characters with a meaning inside graphviz record labels must be escaped.
    for ch in "\\{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text


def draw_dot(root):
    """A graphviz.Digraph of root's graph: a box per Value, an oval per operation."""
    import graphviz  # imported here so the engine works without graphviz installed

    dot = graphviz.Digraph(graph_attr={"rankdir": "LR"})
    seen = set()
    stack = [root]
    while stack:  # iterative, like backward(): deep graphs must not recurse
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        name = str(id(v))
        label = _record_text(v.label)
        dot.node(name, f"{{ {label} | data {v.data:.4f} | grad {v.grad:.4f} }}", shape="record")
        if v._prev:
            op_name = name + "_op"
            dot.node(op_name, v._op)
            dot.edge(op_name, name)
            for child in v._prev:
                dot.edge(str(id(child)), op_name)
                stack.append(child)
    return dot
