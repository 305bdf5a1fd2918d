//! The integration tests: one crate, one module per concern.

mod cli;
mod demo;
mod engine;
mod gradcheck;
mod seed;
mod train;
