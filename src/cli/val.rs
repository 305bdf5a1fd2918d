//! `micrograd val`: builds the lecture's tanh neuron, runs backward, and prints
//! every node in the order backward visits it.

use std::io::Write;

use micrograd::Value;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    // The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b)
    let x1 = Value::with_label(2.0, "x1");
    let x2 = Value::with_label(0.0, "x2");
    let w1 = Value::with_label(-3.0, "w1");
    let w2 = Value::with_label(1.0, "w2");
    let b = Value::with_label(6.881_373_587_019_543, "b");
    let x1w1 = &x1 * &w1;
    x1w1.set_label("x1*w1");
    let x2w2 = &x2 * &w2;
    x2w2.set_label("x2*w2");
    let x1w1x2w2 = &x1w1 + &x2w2;
    x1w1x2w2.set_label("x1*w1 + x2*w2");
    let n = &x1w1x2w2 + &b;
    n.set_label("n");
    let o = n.tanh();
    o.set_label("o");
    o.backward();

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<16} {:>6} {:>12} {:>12}",
        "node", "op", "data", "grad"
    )?;
    for node in o.backward_order() {
        let label = node.label().unwrap_or_else(|| format!("#{}", node.id()));
        writeln!(
            out,
            "{label:<16} {:>6} {:>12.4} {:>12.4}",
            node.op(),
            node.data(),
            node.grad()
        )?;
    }
    Ok(())
}
