//! The autograd engine: scalar values, the ops on them, and backpropagation.
//!
//! Every value lives on a per-thread tape (`tape.rs`) in creation order; ops
//! (`ops.rs`) state their forward formula and their derivative side by side;
//! backward (`backward.rs`) is one reverse sweep down the tape. `value.rs` is
//! the `Value` handle users hold and the operators on it.
//!
//! This module does no I/O, prints nothing and returns no `Result`.

mod backward;
mod ops;
mod tape;
mod value;

pub(crate) use tape::ROWS_IN_FLIGHT;
pub use tape::len as tape_len;
pub use value::{Activation, Value};
