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
//!
//! - [`engine`]: [`Value`], its operators and ops, and `backward`, one sweep
//!   down a per-thread tape with no recursion, read as micrograd's
//!   `engine.py`. [`Value::neuron`] makes a whole neuron one node, with the
//!   bits of the operator graph.
//! - [`nn`]: `Neuron`, `Layer` and [`nn::MLP`] with micrograd's defaults;
//!   [`nn::MLP::forward_rows`] runs a batch of data rows side by side.
//! - [`train`]: the learning half, what the `micrograd train` and `eval`
//!   commands are made of (a JSON config, a CSV dataset, the training loop,
//!   [`train::loss`]: micrograd's hinge and L2, and logistic, cross-entropy,
//!   MSE; optimizers, metrics, the model file, plots), for use from code.
//! - [`show`]: the showing half: expressions as `val` reads them, the steps
//!   of backward and what each says, Graphviz output and the HTML page.
//!
//! Runnable examples are in `examples/`: `cargo run --example neuron`,
//! `--example train_xor`, `--release --example batch_on_threads`.

pub mod engine;
pub mod nn;
pub mod rng;
pub mod show;
pub mod train;

pub use engine::Value;
