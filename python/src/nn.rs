//! micrograd's `nn`: `Module`, `Neuron`, `Layer` and `MLP`, with its
//! semantics (weights from Python's own `random.uniform(-1, 1)`, so that
//! `random.seed` gives micrograd's networks; bias 0; ReLU but on the last
//! layer). Each class keeps the engine's network (`micrograd::nn`) over the
//! same nodes as the `Value`s it hands out, so that a call runs in the engine
//! in one go, while `parameters()` are the very objects the user updates.

use micrograd::Value;
use micrograd::nn::{self, Activation};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::value::{PyValue, number, wrap};

/// The base of every model: `parameters()` and `zero_grad()`.
#[pyclass(module = "micrograd_rs.nn", subclass, unsendable)]
pub struct Module;

#[pymethods]
impl Module {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyAny>, _kwargs: Option<&Bound<'_, PyDict>>) -> Module {
        Module
    }

    /// Sets the grad of every parameter to 0.
    fn zero_grad(slf: &Bound<'_, Self>) -> PyResult<()> {
        for parameter in slf.call_method0("parameters")?.try_iter()? {
            parameter?.setattr("grad", 0.0)?;
        }
        Ok(())
    }

    fn parameters(&self) -> Vec<Py<PyAny>> {
        Vec::new()
    }
}

/// A neuron of the engine over the same nodes as `neuron`.
fn same_neuron(neuron: &nn::Neuron) -> nn::Neuron {
    nn::Neuron::from_values(neuron.w().to_vec(), neuron.b.clone(), neuron.activation)
}

/// `x` as values: each a `Value` or a number (a new leaf), `want` of them.
fn inputs(x: &Bound<'_, PyAny>, want: usize, what: &str) -> PyResult<Vec<Value>> {
    let mut values = Vec::with_capacity(want);
    let items = x
        .try_iter()
        .map_err(|_| PyTypeError::new_err(format!("{what} takes a list of numbers or Values")))?;
    for item in items {
        let item = item?;
        let value = match item.cast::<PyValue>() {
            Ok(value) => value.borrow().value.clone(),
            Err(_) => Value::leaf(number(&item, "an input")?),
        };
        values.push(value);
    }
    if values.len() != want {
        return Err(PyValueError::new_err(format!(
            "{what} takes {want} inputs, got {}",
            values.len()
        )));
    }
    Ok(values)
}

/// A layer's outputs as micrograd gives them: the value when there is one,
/// else the list.
fn outputs(py: Python<'_>, values: Vec<Value>) -> PyResult<Py<PyAny>> {
    if values.len() == 1 {
        let value = values.into_iter().next().expect("one output");
        return Ok(wrap(py, value)?.into_any().unbind());
    }
    let objects = values
        .into_iter()
        .map(|value| wrap(py, value))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, objects)?.into_any().unbind())
}

#[pyclass(module = "micrograd_rs.nn", extends = Module, unsendable)]
pub struct Neuron {
    engine: nn::Neuron,
    w: Vec<Py<PyValue>>,
    b: Py<PyValue>,
    #[pyo3(get)]
    nonlin: bool,
}

impl Neuron {
    /// micrograd's `Neuron(nin, nonlin)`: `nin` weights from Python's
    /// `random.uniform(-1, 1)`, in order, and a bias of 0.
    fn drawn(py: Python<'_>, nin: usize, nonlin: bool) -> PyResult<Neuron> {
        let uniform = py.import("random")?.getattr("uniform")?;
        let mut weights = Vec::with_capacity(nin);
        for _ in 0..nin {
            weights.push(uniform.call1((-1, 1))?.extract::<f64>()?);
        }
        let activation = if nonlin {
            Activation::Relu
        } else {
            Activation::Linear
        };
        let engine = nn::Neuron::from_values(Value::leaves(&weights), Value::leaf(0.0), activation);
        let w = (engine.w().iter())
            .map(|w| Ok(wrap(py, w.clone())?.unbind()))
            .collect::<PyResult<_>>()?;
        let b = wrap(py, engine.b.clone())?.unbind();
        Ok(Neuron {
            engine,
            w,
            b,
            nonlin,
        })
    }

    fn parameter_list(&self, py: Python<'_>) -> Vec<Py<PyValue>> {
        let mut parameters: Vec<Py<PyValue>> = self.w.iter().map(|w| w.clone_ref(py)).collect();
        parameters.push(self.b.clone_ref(py));
        parameters
    }
}

#[pymethods]
impl Neuron {
    #[new]
    #[pyo3(signature = (nin, nonlin = true))]
    fn new(py: Python<'_>, nin: usize, nonlin: bool) -> PyResult<PyClassInitializer<Neuron>> {
        Ok(PyClassInitializer::from(Module).add_subclass(Neuron::drawn(py, nin, nonlin)?))
    }

    #[getter]
    fn w(&self, py: Python<'_>) -> Vec<Py<PyValue>> {
        self.w.iter().map(|w| w.clone_ref(py)).collect()
    }

    #[getter]
    fn b(&self, py: Python<'_>) -> Py<PyValue> {
        self.b.clone_ref(py)
    }

    fn __call__(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyValue>> {
        let x = inputs(x, self.w.len(), "this neuron")?;
        Ok(wrap(py, self.engine.forward(&x))?.unbind())
    }

    fn parameters(&self, py: Python<'_>) -> Vec<Py<PyValue>> {
        self.parameter_list(py)
    }

    fn __repr__(&self) -> String {
        let kind = if self.nonlin { "ReLU" } else { "Linear" };
        format!("{kind}Neuron({})", self.w.len())
    }
}

#[pyclass(module = "micrograd_rs.nn", extends = Module, unsendable)]
pub struct Layer {
    engine: nn::Layer,
    neurons: Vec<Py<Neuron>>,
}

impl Layer {
    fn drawn(py: Python<'_>, nin: usize, nout: usize, nonlin: bool) -> PyResult<Layer> {
        let mut neurons = Vec::with_capacity(nout);
        let mut engine = nn::Layer {
            neurons: Vec::with_capacity(nout),
        };
        for _ in 0..nout {
            let neuron = Neuron::drawn(py, nin, nonlin)?;
            engine.neurons.push(same_neuron(&neuron.engine));
            neurons.push(Py::new(
                py,
                PyClassInitializer::from(Module).add_subclass(neuron),
            )?);
        }
        Ok(Layer { engine, neurons })
    }

    fn nin(&self) -> usize {
        self.engine.neurons.first().map_or(0, |n| n.w().len())
    }
}

#[pymethods]
impl Layer {
    /// micrograd's `Layer(nin, nout, nonlin=True)`.
    #[new]
    #[pyo3(signature = (nin, nout, nonlin = true))]
    fn new(
        py: Python<'_>,
        nin: usize,
        nout: usize,
        nonlin: bool,
    ) -> PyResult<PyClassInitializer<Layer>> {
        Ok(PyClassInitializer::from(Module).add_subclass(Layer::drawn(py, nin, nout, nonlin)?))
    }

    #[getter]
    fn neurons(&self, py: Python<'_>) -> Vec<Py<Neuron>> {
        self.neurons.iter().map(|n| n.clone_ref(py)).collect()
    }

    fn __call__(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let x = inputs(x, self.nin(), "this layer")?;
        outputs(py, self.engine.forward(&x))
    }

    fn parameters(&self, py: Python<'_>) -> Vec<Py<PyValue>> {
        (self.neurons.iter())
            .flat_map(|neuron| neuron.borrow(py).parameter_list(py))
            .collect()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let neurons: Vec<String> = (self.neurons.iter())
            .map(|neuron| neuron.borrow(py).__repr__())
            .collect();
        format!("Layer of [{}]", neurons.join(", "))
    }
}

#[pyclass(module = "micrograd_rs.nn", name = "MLP", extends = Module, unsendable)]
pub struct Mlp {
    pub engine: nn::MLP,
    layers: Vec<Py<Layer>>,
}

#[pymethods]
impl Mlp {
    /// micrograd's `MLP(nin, nouts)`: ReLU layers and a linear last one.
    #[new]
    fn new(py: Python<'_>, nin: usize, nouts: Vec<usize>) -> PyResult<PyClassInitializer<Mlp>> {
        let sizes: Vec<usize> = std::iter::once(nin).chain(nouts.iter().copied()).collect();
        let mut layers = Vec::with_capacity(nouts.len());
        let mut engine = nn::MLP {
            layers: Vec::with_capacity(nouts.len()),
        };
        for i in 0..nouts.len() {
            let layer = Layer::drawn(py, sizes[i], sizes[i + 1], i + 1 != nouts.len())?;
            engine.layers.push(nn::Layer {
                neurons: layer.engine.neurons.iter().map(same_neuron).collect(),
            });
            layers.push(Py::new(
                py,
                PyClassInitializer::from(Module).add_subclass(layer),
            )?);
        }
        Ok(PyClassInitializer::from(Module).add_subclass(Mlp { engine, layers }))
    }

    #[getter]
    fn layers(&self, py: Python<'_>) -> Vec<Py<Layer>> {
        self.layers.iter().map(|l| l.clone_ref(py)).collect()
    }

    fn __call__(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let x = inputs(x, self.engine.nin(), "this MLP")?;
        outputs(py, self.engine.forward(&x))
    }

    /// The model on every row of `rows` (lists of numbers) at once, rows
    /// side by side in the engine: what calling it on each row gives, to the
    /// bit, in a fraction of the time.
    fn forward_rows(&self, py: Python<'_>, rows: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let nin = self.engine.nin();
        let mut data: Vec<Vec<f64>> = Vec::new();
        for row in rows.try_iter()? {
            let row = row?;
            let mut numbers = Vec::with_capacity(nin);
            for item in row.try_iter()? {
                numbers.push(number(&item?, "a row's item")?);
            }
            if numbers.len() != nin {
                return Err(PyValueError::new_err(format!(
                    "row {} has {} numbers; this MLP takes {nin}",
                    data.len(),
                    numbers.len()
                )));
            }
            data.push(numbers);
        }
        let refs: Vec<&[f64]> = data.iter().map(Vec::as_slice).collect();
        (self.engine.forward_rows(&refs).into_iter())
            .map(|row| outputs(py, row))
            .collect()
    }

    fn parameters(&self, py: Python<'_>) -> Vec<Py<PyValue>> {
        (self.layers.iter())
            .flat_map(|layer| layer.borrow(py).parameters(py))
            .collect()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let layers: Vec<String> = (self.layers.iter())
            .map(|layer| layer.borrow(py).__repr__(py))
            .collect();
        format!("MLP of [{}]", layers.join(", "))
    }
}
