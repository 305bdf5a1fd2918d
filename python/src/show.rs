//! What a notebook shows of a value: its graph as Graphviz source
//! (`draw_dot`) and the backprop player (`_repr_html_`), both rendered by the
//! engine's `show` half, which `micrograd graph` and `val --html` use too.

use micrograd::Value;
use micrograd::show::dot::{self, DotOptions, RankDir};
use micrograd::show::network::labels;
use micrograd::show::page as pages;
use micrograd::show::trace::Trace;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The most nodes a value may have to be shown as a player in a notebook;
/// a bigger one shows as its `repr`.
pub const MAX_NOTEBOOK_NODES: usize = 2_000;

/// `root`'s graph as Graphviz DOT, micrograd's `draw_dot` drawing: a record
/// `label | data | grad` per value and a node per op, left to right (`"LR"`)
/// or top to bottom (`"TB"`).
pub fn dot_source(root: &Value, rankdir: &str) -> PyResult<String> {
    let rankdir = match rankdir {
        "LR" => RankDir::LeftRight,
        "TB" => RankDir::TopBottom,
        other => {
            return Err(PyValueError::new_err(format!(
                "rankdir {other:?}: \"LR\" or \"TB\""
            )));
        }
    };
    let trace = Trace::new(root);
    let options = DotOptions {
        rankdir,
        show_grad: true,
        frame: None,
        edge_weights: false,
        title: None,
    };
    Ok(dot::render(&trace, &labels(&trace), &options))
}

/// The self-contained page of `root`'s backprop, step by step: the page
/// `micrograd val --html` writes.
pub fn page(root: &Value, title: Option<&str>) -> PyResult<String> {
    let trace = Trace::new(root);
    if trace.nodes.len() > pages::MAX_PAGE_NODES {
        return Err(PyValueError::new_err(format!(
            "the graph has {} nodes, and a page draws at most {}",
            trace.nodes.len(),
            pages::MAX_PAGE_NODES
        )));
    }
    let title = title.map_or_else(|| "backprop, step by step".to_string(), str::to_string);
    Ok(pages::expression_page(&trace, &labels(&trace), &title))
}

/// The player in an iframe, for Jupyter; none for a graph over
/// [`MAX_NOTEBOOK_NODES`].
pub fn player_frame(value: &Value) -> Option<String> {
    if value.backward_order().len() > MAX_NOTEBOOK_NODES {
        return None;
    }
    let trace = Trace::new(value);
    let html = pages::expression_page(&trace, &labels(&trace), "backprop, step by step");
    let escaped = html.replace('&', "&amp;").replace('"', "&quot;");
    Some(format!(
        "<iframe srcdoc=\"{escaped}\" style=\"width: 100%; height: 540px; border: 1px solid #ccc\" \
         title=\"backprop, step by step\"></iframe>"
    ))
}
