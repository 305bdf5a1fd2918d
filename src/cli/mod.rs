//! One module per subcommand, each with its clap `Args` and a `run`, and
//! the pieces they share.

pub mod data;
pub mod eval;
pub mod export;
pub mod expression;
pub mod graph;
pub mod input;
pub mod output;
pub mod play;
pub mod predict;
pub mod predictions;
pub mod train;
pub mod tui;
pub mod val;
pub mod visualize;
