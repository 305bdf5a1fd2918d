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

#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<value::PyValue>()?;
    module.add_class::<nn::Module>()?;
    module.add_class::<nn::Neuron>()?;
    module.add_class::<nn::Layer>()?;
    module.add_class::<nn::Mlp>()?;
    module.add_function(wrap_pyfunction!(show::dot_source, module)?)?;
    module.add_function(wrap_pyfunction!(show::page, module)?)?;
    module.add_function(wrap_pyfunction!(fit::train, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
