//! The autograd engine: scalar values, the ops on them, and backpropagation.
//!
//! Read it as micrograd's `engine.py`: `value.rs` is the [`Value`] users hold
//! and the operators on it; `ops.rs` gives each op's forward formula beside
//! its derivative; `backward.rs` is the reverse sweep, a topological order
//! and the chain rule. Every value lives on a per-thread tape (`tape.rs`),
//! in creation order. `fast/` is the speed path for networks, with the same
//! bits as the plain one.
//!
//! This module does no I/O, prints nothing and returns no `Result`.

mod backward;
mod fast;
mod inspect;
mod ops;
mod tape;
mod value;

pub(crate) use fast::{LayerRefs, MAX_NODES, RowsLoss};
pub use inspect::OpKind;
pub use tape::len as tape_len;
pub use value::{Activation, Value};
