import graphviz


def draw_dot(root):
    g = graphviz.Digraph(graph_attr={'rankdir': 'LR'})
    nodes, edges, todo = set(), set(), [root]
    while todo:
        v = todo.pop()
        if v in nodes:
            continue
        nodes.add(v)
        for child in v._prev:
            edges.add((child, v))
            todo.append(child)
    for v in nodes:
        g.node(str(id(v)), label='{ %s | data %.4f | grad %.4f }' % (v.label, v.data, v.grad), shape='record')
        if v._op:
            g.node(str(id(v)) + v._op, label=v._op)
            g.edge(str(id(v)) + v._op, str(id(v)))
    for a, b in edges:
        g.edge(str(id(a)), str(id(b)) + b._op)
    return g
