"""The lecture's `draw_dot` (micrograd's trace_graph.ipynb), pasted as it
is, on our values: one record per node, every edge between drawn nodes."""

import pytest

from micrograd_rs import draw_dot as our_draw_dot
from micrograd_rs.engine import Value
from micrograd_rs.nn import MLP

graphviz = pytest.importorskip("graphviz")
Digraph = graphviz.Digraph


# --- pasted from the lecture ---------------------------------------------
def trace(root):
    # builds a set of all nodes and edges in a graph
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root):
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})  # LR = left to right

    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        # for any value in the graph, create a rectangular ('record') node for it
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape="record")
        if n._op:
            # if this value is a result of some operation, create an op node for it
            dot.node(name=uid + n._op, label=n._op)
            # and connect this node to it
            dot.edge(uid + n._op, uid)

    for n1, n2 in edges:
        # connect n1 to the op node of n2
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)

    return dot
# --------------------------------------------------------------------------


def drawn(dot):
    """The records and the edges of a drawing, from its source."""
    records = {line.split()[0] for line in dot.body if "shape=record" in line}
    edges = [line.split("->") for line in dot.body if "->" in line]
    return records, [(a.strip(), b.split()[0].strip()) for a, b in edges]


def test_the_lectures_draw_dot_draws_our_values():
    # the lecture's neuron
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"
    x2w2 = x2 * w2; x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b; n.label = "n"
    o = n.tanh(); o.label = "o"
    o.backward()
    dot = draw_dot(o)
    records, edges = drawn(dot)
    assert len(records) == 10, records
    labels = "".join(dot.body)
    for name in ["x1", "w1", "x1*w1", "n", "o"]:
        assert "{ %s | data" % name in labels
    assert "grad 0.5000" in labels  # n's grad, as the lecture finds it
    # every record-to-op edge starts at a drawn record
    op_nodes = {line.split()[0] for line in dot.body if "shape=record" not in line and "->" not in line}
    for a, z in edges:
        assert a in records or a in op_nodes, a
        assert z in records or z in op_nodes, z


def test_a_shared_node_is_drawn_once():
    a = Value(3.0, label="a")
    y = a * a + a
    nodes, edges = trace(y)
    assert len(nodes) == 3 and len(edges) == 3
    # a network's hidden outputs feed every neuron after them: still once each
    model = MLP(2, [3, 2, 1])
    out = model([1.0, -1.0])
    nodes, _ = trace(out)
    assert len(nodes) == len({id(n) for n in nodes})
    assert len(nodes) == 2 + 3 * 3 + 3 + 2 * 4 + 2 + 1 * 3 + 1


def test_our_draw_dot_is_a_digraph_of_our_dot_source():
    a = Value(2.0, label="a")
    b = (a * 3).relu()
    b.label = "b"
    b.backward()
    dot = our_draw_dot(b)
    assert isinstance(dot, Digraph)
    assert "rankdir=LR" in dot.source and "data 6.0000" in dot.source and "grad 3.0000" in dot.source
