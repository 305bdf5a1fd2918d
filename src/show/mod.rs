//! The showing half: what `micrograd val` and `graph` are made of. `expr`
//! reads an expression as `val` takes it and builds its graph; `trace`
//! replays the engine's backward one node at a time, each update with its
//! typed `formula`; `story` says what each frame does, once, for every view;
//! `network` is a trained model on one input, seen neuron by neuron. The
//! views only lay that out: `dot` as Graphviz text, `page` as a
//! self-contained HTML page (placed by `layout`); the terminal player is the
//! binary's, in `src/cli/`. `maps` is each neuron's output over a grid of
//! the plane, for the playground. `text` fits text into a width.

pub mod dot;
pub mod expr;
pub mod formula;
pub mod layout;
pub mod maps;
pub mod network;
pub mod page;
pub mod story;
pub mod text;
pub mod trace;
