//! The integration tests: one crate, one module per concern.

mod cli;
mod demo;
mod engine;
mod fuzz;
mod gradcheck;
mod hardening;
mod seed;
mod train;

/// Fails the test, showing the exit status and stderr, unless `output` succeeded.
fn assert_success(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
