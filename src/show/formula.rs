//! Local derivatives as people write them: for each input of a node, how
//! d(node)/d(input) is computed, as a typed formula rather than text with
//! placeholders. The numbers come from the engine (`Value::local_grads`);
//! a formula only says how they were got, and [`Formula::render`] is the one
//! place one is written out, for every view.

use crate::engine::{Activation, OpKind};

/// d(node)/d(input) for one input of a node. `Input(k)` names the node's
/// k-th input in [`Value::inputs`](crate::Value::inputs)' order; `Out` is
/// the node's own data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Formula {
    /// A number: 1 for each input of a sum, -1 for a negation's.
    Number(f64),
    /// Another input's data: d(a*b)/da = b.
    Data(usize),
    /// The power rule, `n * a**(n-1)`, for input `base` and a number `n`.
    Power { base: usize, n: f64 },
    /// The power rule with a value for exponent: `b * a**(b-1)`.
    PowerOfValue { base: usize, exponent: usize },
    /// d(a**b)/db = `out * log(a)`.
    OutTimesLog(usize),
    /// d log(a)/da = `1/a`.
    Reciprocal(usize),
    /// d exp(a)/da = `out`.
    Out,
    /// An activation's derivative from its output: `(1 - out**2)` for
    /// tanh, `(out > 0)` for ReLU, `out * (1 - out)` for the sigmoid, 1.
    Activation(Activation),
    /// A neuron's weight or input: the data of input `k` (its input or its
    /// weight) times the activation's derivative.
    DataTimes(usize, Activation),
    /// d logsumexp/dx = `exp(x - out)`, the softmax, for input `k`.
    Softmax(usize),
}

impl Formula {
    /// One formula per local grad of a node made by `kind`, in the order of
    /// `Value::local_grads`: its inputs, less a neuron's data inputs.
    pub fn of(kind: OpKind) -> Vec<Formula> {
        match kind {
            OpKind::Leaf => vec![],
            OpKind::Add => vec![Formula::Number(1.0), Formula::Number(1.0)],
            OpKind::Mul => vec![Formula::Data(1), Formula::Data(0)],
            OpKind::Neg => vec![Formula::Number(-1.0)],
            OpKind::Pow(n) => vec![Formula::Power { base: 0, n }],
            OpKind::PowValue => vec![
                Formula::PowerOfValue {
                    base: 0,
                    exponent: 1,
                },
                Formula::OutTimesLog(0),
            ],
            OpKind::Tanh => vec![Formula::Activation(Activation::Tanh)],
            OpKind::Relu => vec![Formula::Activation(Activation::Relu)],
            OpKind::Exp => vec![Formula::Out],
            OpKind::Log => vec![Formula::Reciprocal(0)],
            OpKind::Sigmoid => vec![Formula::Activation(Activation::Sigmoid)],
            OpKind::LogSumExp(n) => (0..n).map(Formula::Softmax).collect(),
            // inputs are w0, x0, w1, x1, ..., b
            OpKind::Neuron {
                n,
                activation,
                input_grads,
            } => {
                let mut formulas = Vec::with_capacity(2 * n + 1);
                for i in 0..n {
                    formulas.push(Formula::DataTimes(2 * i + 1, activation));
                    if input_grads {
                        formulas.push(Formula::DataTimes(2 * i, activation));
                    }
                }
                formulas.push(Formula::Activation(activation));
                formulas
            }
        }
    }

    /// Whether the formula is the number 1: the chain rule then only copies a grad.
    pub fn is_one(self) -> bool {
        matches!(
            self,
            Formula::Number(1.0) | Formula::Activation(Activation::Linear)
        )
    }

    /// The formula written out, with `input(k)` for input k's data and
    /// `out` for the node's: `(1 - o.data**2)`, `x1.data`, `2 * a.data**(2-1)`.
    pub fn render(self, input: &dyn Fn(usize) -> String, out: &str) -> String {
        match self {
            Formula::Number(number) => number.to_string(),
            Formula::Data(k) => input(k),
            Formula::Power { base, n } => format!("{n} * {}**({n}-1)", input(base)),
            Formula::PowerOfValue { base, exponent } => {
                let (a, b) = (input(base), input(exponent));
                format!("{b} * {a}**({b}-1)")
            }
            Formula::OutTimesLog(k) => format!("{out} * log({})", input(k)),
            Formula::Reciprocal(k) => format!("1/{}", input(k)),
            Formula::Out => out.to_string(),
            Formula::Activation(activation) => derivative(activation, out),
            Formula::DataTimes(k, Activation::Linear) => input(k),
            Formula::DataTimes(k, activation) => {
                format!("{} * {}", input(k), derivative(activation, out))
            }
            Formula::Softmax(k) => format!("exp({} - {out})", input(k)),
        }
    }
}

/// An activation's derivative, in terms of its output `out`.
fn derivative(activation: Activation, out: &str) -> String {
    match activation {
        Activation::Relu => format!("({out} > 0)"),
        Activation::Tanh => format!("(1 - {out}**2)"),
        Activation::Sigmoid => format!("{out} * (1 - {out})"),
        Activation::Linear => "1".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    fn rendered(value: &Value) -> Vec<String> {
        let names = ["a.data", "b.data", "c.data"];
        Formula::of(value.op_kind())
            .into_iter()
            .map(|formula| formula.render(&|k| names[k].to_string(), "out.data"))
            .collect()
    }

    /// One formula per local grad, and each evaluates to the engine's number.
    #[test]
    fn formulas_match_the_engines_local_grads() {
        let (a, b) = (Value::leaf(1.5), Value::leaf(-0.5));
        let cases = [
            (&a + &b, vec!["1", "1"]),
            (&a * &b, vec!["b.data", "a.data"]),
            (-&a, vec!["-1"]),
            (a.pow(3.0), vec!["3 * a.data**(3-1)"]),
            (
                a.pow_value(&b),
                vec!["b.data * a.data**(b.data-1)", "out.data * log(a.data)"],
            ),
            (a.tanh(), vec!["(1 - out.data**2)"]),
            (a.relu(), vec!["(out.data > 0)"]),
            (a.exp(), vec!["out.data"]),
            (a.log(), vec!["1/a.data"]),
            (a.sigmoid(), vec!["out.data * (1 - out.data)"]),
        ];
        for (value, want) in cases {
            assert_eq!(rendered(&value), want, "{}", value.op());
            assert_eq!(
                Formula::of(value.op_kind()).len(),
                value.local_grads().len()
            );
        }
        let w = Value::leaves(&[0.5, -2.0]);
        let x = Value::leaves(&[3.0, 4.0]);
        let neuron = Value::neuron(&Value::leaf(0.1), &w, &x, Activation::Tanh);
        let formulas = Formula::of(neuron.op_kind());
        assert_eq!(formulas.len(), neuron.local_grads().len());
        // w0's is x0.data * tanh', x0's is w0.data * tanh'
        assert_eq!(formulas[0], Formula::DataTimes(1, Activation::Tanh));
        assert_eq!(formulas[1], Formula::DataTimes(0, Activation::Tanh));
        assert!(Formula::Number(1.0).is_one() && !Formula::Number(-1.0).is_one());
    }
}
