//! The README's first snippet, and the lecture's neuron as one node:
//! `cargo run --example neuron`.

use micrograd::Value;
use micrograd::nn::Activation;

fn main() {
    // Create computation nodes
    let x1 = Value::new(2.0, None, "x1".to_string(), None);
    let w1 = Value::new(-3.0, None, "w1".to_string(), None);
    // Perform operations
    let prod = &x1 * &w1;
    let act = prod.tanh();
    // Backpropagate gradients
    act.backward();
    // Access gradients
    println!("x1 gradient: {}", x1.grad());

    // The lecture's neuron, o = tanh(x1*w1 + x2*w2 + b), as one node
    let w = Value::leaves(&[-3.0, 1.0]);
    let x = Value::leaves(&[2.0, 0.0]);
    let b = Value::leaf(6.881373587019543);
    let o = Value::neuron(&b, &w, &x, Activation::Tanh);
    o.backward();
    println!("o = {:.4}", o.data());
    for (name, value) in [("w1", &w[0]), ("w2", &w[1]), ("x1", &x[0]), ("x2", &x[1])] {
        println!("{name}.grad = {:.4}", value.grad());
    }
}
