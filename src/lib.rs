//! micrograd: a scalar-valued reverse-mode autograd engine and a small
//! neural-network library on top, after Andrej Karpathy's micrograd.
//!
//! ```
//! use micrograd::Value;
//!
//! let x1 = Value::with_label(2.0, "x1");
//! let w1 = Value::with_label(-3.0, "w1");
//! let act = (&x1 * &w1).tanh();
//! act.backward();
//! assert!((x1.grad() - -3.0 * (1.0 - act.data().powi(2))).abs() < 1e-12);
//! ```

pub mod config;
pub mod data;
pub mod datasets;
pub mod dot;
pub mod engine;
pub mod expr;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod nn;
pub mod optim;
pub mod plot;
pub mod rng;
pub mod trace;
pub mod train;

pub use engine::Value;
