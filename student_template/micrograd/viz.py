"""M2: draw a computation graph with graphviz."""


def draw_dot(root):
    """Return a graphviz.Digraph of the graph that produced root.

    One node per Value (showing its data and grad), one node per operation (its _op),
    and edges operand -> operation -> result. Walk the graph from root through _prev,
    visiting every Value once. `import graphviz` inside this function.
    """
    raise NotImplementedError("M2: implement draw_dot (graphviz Digraph of the graph)")
