//! The showing half: what `micrograd val` and `graph` are made of. `expr`
//! reads an expression as `val` takes it and builds its graph; `trace`
//! replays backward one node at a time, the frames the visualizer and the
//! HTML page step through; `dot` writes Graphviz text and `layout` places
//! a graph's nodes in columns for the page. The terminal player and the
//! page itself are the binary's, in `src/cli/`.

pub mod dot;
pub mod expr;
pub mod formula;
pub mod layout;
pub mod network;
pub mod page;
pub mod story;
pub mod text;
pub mod trace;
