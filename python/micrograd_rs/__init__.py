"""micrograd's API, module for module, on micrograd-rs's Rust engine.

    from micrograd_rs.engine import Value
    from micrograd_rs.nn import Neuron, Layer, MLP

The numbers are micrograd's to the last bit; a Value shows in Jupyter as the
backprop player, and ``draw_dot(v)`` draws its graph.
"""

from . import engine, nn
from ._core import __version__, dot_source, page, predict, train
from .engine import Value

__all__ = ["Value", "draw_dot", "dot_source", "page", "predict", "train", "engine", "nn", "__version__"]


def draw_dot(root, format="svg", rankdir="LR"):
    """``root``'s graph, as micrograd's ``draw_dot`` draws it: a
    ``graphviz.Digraph`` when the ``graphviz`` package is installed, else
    its Graphviz source as a string (``dot -Tsvg`` draws it)."""
    source = dot_source(root, rankdir)
    try:
        from graphviz import Digraph
    except ImportError:
        return source
    graph = Digraph(format=format, graph_attr={"rankdir": rankdir})
    # the statements between `digraph micrograd {` and its closing `}`
    lines = source.splitlines()
    graph.body.extend(line + "\n" for line in lines[1:-1])
    return graph
