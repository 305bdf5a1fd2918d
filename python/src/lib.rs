//! `micrograd_rs._core`: micrograd's Python API on micrograd-rs's engine.
//! `value.rs` is `micrograd.engine.Value`, `nn.rs` is `micrograd.nn`,
//! `show.rs` the notebook's pictures (Graphviz source, the backprop player)
//! and `fit.rs` the training loop of `micrograd train` on rows from Python.
//! The Python package (`micrograd_rs/`) names them as micrograd does.

use pyo3::prelude::*;

mod fit;
mod nn;
mod show;
mod value;

/// `root`'s graph as Graphviz DOT, micrograd's `draw_dot` drawing: a record
/// `label | data | grad` per value and a node per op, left to right (`"LR"`)
/// or top to bottom (`"TB"`).
#[pyfunction]
#[pyo3(signature = (root, rankdir = "LR"))]
fn dot_source(root: PyRef<'_, value::PyValue>, rankdir: &str) -> PyResult<String> {
    show::dot_source(&root.value, rankdir)
}

/// The self-contained page of `root`'s backprop, step by step: the page
/// `micrograd val --html` writes.
#[pyfunction]
#[pyo3(signature = (root, title = None))]
fn page(root: PyRef<'_, value::PyValue>, title: Option<&str>) -> PyResult<String> {
    show::page(&root.value, title)
}

#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<value::PyValue>()?;
    module.add_class::<nn::Module>()?;
    module.add_class::<nn::Neuron>()?;
    module.add_class::<nn::Layer>()?;
    module.add_class::<nn::Mlp>()?;
    module.add_function(wrap_pyfunction!(dot_source, module)?)?;
    module.add_function(wrap_pyfunction!(page, module)?)?;
    module.add_function(wrap_pyfunction!(fit::train, module)?)?;
    module.add_function(wrap_pyfunction!(fit::predict, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
