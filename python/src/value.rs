//! `Value`: micrograd's `engine.Value` over a handle to a node of this
//! thread's tape. Its ops are the engine's, so its numbers are micrograd's to
//! the last bit; what micrograd's Python raises (a division by zero, a
//! negative number to a fractional power) it raises too.
//!
//! A node has one Python object while Python holds one: `wrap` finds it by
//! the node's id, so that `_prev` gives back the very objects the user made
//! (`e in d._prev`) and the lecture's `draw_dot`, which names nodes by `id()`,
//! draws each node once.

use std::cell::RefCell;
use std::collections::HashMap;

use micrograd::Value;
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError, PyZeroDivisionError};
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PySet, PyWeakrefReference};

#[pyclass(module = "micrograd_rs.engine", name = "Value", unsendable, weakref)]
pub struct PyValue {
    pub value: Value,
}

/// The Python object of each node that has one, weakly, by node id.
struct Wrappers {
    by_node: HashMap<usize, Py<PyWeakrefReference>>,
    /// Dead entries are swept when the map grows past this.
    sweep_at: usize,
}

thread_local! {
    static WRAPPERS: RefCell<Wrappers> = RefCell::new(Wrappers {
        by_node: HashMap::new(),
        sweep_at: 4096,
    });
}

/// The Python object of `value`'s node: the one Python holds, or a new one.
pub fn wrap(py: Python<'_>, value: Value) -> PyResult<Bound<'_, PyValue>> {
    let id = value.id();
    let known =
        WRAPPERS.with_borrow(|wrappers| wrappers.by_node.get(&id).map(|weak| weak.clone_ref(py)));
    if let Some(object) = known.and_then(|weak| weak.bind(py).upgrade())
        && let Ok(object) = object.cast_into::<PyValue>()
        // ids move when the tape compacts: the object must still be this node's
        && object.borrow().value.id() == id
    {
        return Ok(object);
    }
    let object = Bound::new(py, PyValue { value })?;
    let weak = PyWeakrefReference::new(&object)?.unbind();
    WRAPPERS.with_borrow_mut(|wrappers| {
        wrappers.by_node.insert(id, weak);
        if wrappers.by_node.len() > wrappers.sweep_at {
            wrappers
                .by_node
                .retain(|_, weak| weak.bind(py).upgrade().is_some());
            wrappers.sweep_at = (2 * wrappers.by_node.len()).max(4096);
        }
    });
    Ok(object)
}

/// A number, or a `TypeError` that says what `what` got instead (an int too
/// large for a float is Python's own `OverflowError`).
pub fn number(object: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    object.extract::<f64>().map_err(|err| {
        if object.is_instance_of::<pyo3::types::PyInt>() {
            return err;
        }
        let type_name = object
            .get_type()
            .name()
            .map_or_else(|_| "?".to_string(), |name| name.to_string());
        PyTypeError::new_err(format!("{what} must be a number, not {type_name}"))
    })
}

/// One side of an operator: a `Value`, a number, or neither.
enum Operand {
    Value(Value),
    Number(f64),
    Neither,
}

fn operand(other: &Bound<'_, PyAny>) -> Operand {
    if let Ok(other) = other.cast::<PyValue>() {
        return Operand::Value(other.borrow().value.clone());
    }
    match other.extract::<f64>() {
        Ok(number) => Operand::Number(number),
        Err(_) => Operand::Neither,
    }
}

/// Python's own spelling of a float: `0.1`, `1e-07`, `inf`.
fn float_repr(py: Python<'_>, x: f64) -> String {
    PyFloat::new(py, x)
        .repr()
        .map_or_else(|_| x.to_string(), |repr| repr.to_string())
}

/// `x ** exponent` as Python's floats allow it, else their error.
fn check_power(base: f64, exponent: f64) -> PyResult<()> {
    if base == 0.0 && exponent < 0.0 {
        return Err(PyZeroDivisionError::new_err(
            "0.0 cannot be raised to a negative power",
        ));
    }
    if base < 0.0 && exponent.fract() != 0.0 && base.is_finite() && exponent.is_finite() {
        return Err(PyValueError::new_err(format!(
            "({base}) ** {exponent}: a negative number to a fractional power is not a real number"
        )));
    }
    let result = base.powf(exponent);
    if result.is_infinite() && base.is_finite() && exponent.is_finite() {
        return Err(PyOverflowError::new_err(format!(
            "({base}) ** {exponent} is too large for a float"
        )));
    }
    Ok(())
}

impl PyValue {
    /// `self <op> other` for a `Value` or a number; `NotImplemented` for
    /// anything else, so that Python says which types it cannot add.
    fn binary(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        with_value: impl FnOnce(&Value, &Value) -> PyResult<Value>,
        with_number: impl FnOnce(&Value, f64) -> PyResult<Value>,
    ) -> PyResult<Py<PyAny>> {
        let out = match operand(other) {
            Operand::Value(other) => with_value(&self.value, &other)?,
            Operand::Number(other) => with_number(&self.value, other)?,
            Operand::Neither => return Ok(py.NotImplemented()),
        };
        Ok(wrap(py, out)?.into_any().unbind())
    }
}

#[pymethods]
impl PyValue {
    /// `Value(data)`, or with the lecture's `label`. Children and ops come
    /// from the ops themselves.
    #[new]
    #[pyo3(signature = (data, _children = None, _op = None, label = None))]
    fn new(
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        _children: Option<&Bound<'_, PyAny>>,
        _op: Option<&str>,
        label: Option<&str>,
    ) -> PyResult<Py<PyValue>> {
        let given_children = match _children {
            Some(children) => children.len().unwrap_or(1) > 0,
            None => false,
        };
        if given_children || _op.is_some_and(|op| !op.is_empty()) {
            return Err(PyTypeError::new_err(
                "a Value's children and op come from the ops that make it: \
                 write Value(data) or Value(data, label='...')",
            ));
        }
        let value = Value::leaf(number(data, "Value's data")?);
        if let Some(label) = label.filter(|label| !label.is_empty()) {
            value.set_label(label);
        }
        Ok(wrap(py, value)?.unbind())
    }

    #[getter]
    fn data(&self) -> f64 {
        self.value.data()
    }

    #[setter]
    fn set_data(&self, data: &Bound<'_, PyAny>) -> PyResult<()> {
        self.value.set_data(number(data, "data")?);
        Ok(())
    }

    #[getter]
    fn grad(&self) -> f64 {
        self.value.grad()
    }

    #[setter]
    fn set_grad(&self, grad: &Bound<'_, PyAny>) -> PyResult<()> {
        self.value.set_grad(number(grad, "grad")?);
        Ok(())
    }

    #[getter]
    fn label(&self) -> String {
        self.value.label().unwrap_or_default()
    }

    #[setter]
    fn set_label(&self, label: &str) {
        self.value.set_label(label);
    }

    /// The op that made this value, as micrograd names it: `+`, `*`, `**2`,
    /// `ReLU`, `tanh`; a neuron of a network is one op, `relu(w·x+b)`.
    #[getter]
    fn _op(&self) -> String {
        match self.value.op().as_str() {
            "relu" => "ReLU".to_string(),
            op => op.to_string(),
        }
    }

    /// The values this one was made from, as a set, as micrograd keeps them.
    #[getter]
    fn _prev<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PySet>> {
        let set = PySet::empty(py)?;
        for input in self.value.inputs() {
            set.add(wrap(py, input)?)?;
        }
        Ok(set)
    }

    fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.binary(py, other, |a, b| Ok(a + b), |a, b| Ok(a + b))
    }

    fn __radd__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.binary(py, other, |a, b| Ok(b + a), |a, b| Ok(b + a))
    }

    fn __sub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.binary(py, other, |a, b| Ok(a - b), |a, b| Ok(a - b))
    }

    fn __rsub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.binary(py, other, |a, b| Ok(b - a), |a, b| Ok(b - a))
    }

    fn __mul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.binary(py, other, |a, b| Ok(a * b), |a, b| Ok(a * b))
    }

    fn __rmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.binary(py, other, |a, b| Ok(b * a), |a, b| Ok(b * a))
    }

    /// `self / other = self * other**-1`, as micrograd.
    fn __truediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.binary(
            py,
            other,
            |a, b| {
                check_power(b.data(), -1.0)?;
                Ok(a / b)
            },
            |a, b| {
                check_power(b, -1.0)?;
                Ok(a / b)
            },
        )
    }

    /// `other / self = other * self**-1`, as micrograd.
    fn __rtruediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.binary(
            py,
            other,
            |a, b| {
                check_power(a.data(), -1.0)?;
                Ok(b / a)
            },
            |a, b| {
                check_power(a.data(), -1.0)?;
                Ok(b / a)
            },
        )
    }

    /// `self ** n` for a number `n`; micrograd takes no `Value` exponent.
    fn __pow__(
        &self,
        py: Python<'_>,
        exponent: &Bound<'_, PyAny>,
        modulo: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        if !modulo.is_none() {
            return Err(PyTypeError::new_err("pow() with a modulus takes integers"));
        }
        match operand(exponent) {
            Operand::Number(exponent) => {
                check_power(self.value.data(), exponent)?;
                Ok(wrap(py, self.value.pow(exponent))?.into_any().unbind())
            }
            Operand::Value(_) => Err(PyTypeError::new_err(
                "only supporting int/float powers for now, as micrograd",
            )),
            Operand::Neither => Ok(py.NotImplemented()),
        }
    }

    fn __neg__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyValue>> {
        wrap(py, -&self.value)
    }

    fn relu<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyValue>> {
        wrap(py, self.value.relu())
    }

    fn tanh<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyValue>> {
        wrap(py, self.value.tanh())
    }

    fn sigmoid<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyValue>> {
        wrap(py, self.value.sigmoid())
    }

    /// `e**self`; an overflow is Python's `math.exp`'s error.
    fn exp<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyValue>> {
        let out = self.value.exp();
        if out.data().is_infinite() && self.value.data().is_finite() {
            return Err(PyOverflowError::new_err(format!(
                "exp({}) is too large for a float",
                self.value.data()
            )));
        }
        wrap(py, out)
    }

    /// The natural log; of 0 or less, Python's `math.log`'s error.
    fn log<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyValue>> {
        let x = self.value.data();
        if x <= 0.0 {
            return Err(PyValueError::new_err(format!(
                "log({x}): the log of a number that is not positive is not a real number"
            )));
        }
        wrap(py, self.value.log())
    }

    /// Backpropagation from this value: its grad is set to 1, and every
    /// value it was made from gets d(self)/d(value) (added, for leaves).
    fn backward(&self) {
        self.value.backward();
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Value(data={}, grad={})",
            float_repr(py, self.value.data()),
            float_repr(py, self.value.grad())
        )
    }

    /// Jupyter's view of a value: the backprop player of its graph.
    fn _repr_html_(&self) -> Option<String> {
        crate::show::player_frame(&self.value)
    }
}
