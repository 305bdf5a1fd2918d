//! The examples from the project's seed README (`../shared/SEED.md`), verbatim
//! but for the `*` its markdown lost. If these stop compiling, the promise the
//! project started from is broken.

use micrograd::{Value, nn};

#[test]
fn seed_example_usage() {
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

    // d tanh(x1*w1)/dx1 = w1 * (1 - tanh(x1*w1)^2)
    let expected = -3.0 * (1.0 - (-6.0f64).tanh().powi(2));
    assert!(
        (x1.grad() - expected).abs() < 1e-15,
        "x1.grad = {}",
        x1.grad()
    );
    assert_eq!(act.data(), (-6.0f64).tanh());
    assert_eq!(x1.label().as_deref(), Some("x1"));
    assert_eq!(w1.label().as_deref(), Some("w1"));
}

#[test]
#[allow(clippy::useless_vec, unused_variables)]
fn seed_neural_network_training() {
    // y = x0 - x1, which a 2-4-1 network can fit
    let train_data: [(&[f64], f64); 4] = [
        (&[1.0, 0.0], 1.0),
        (&[0.0, 1.0], -1.0),
        (&[0.5, 0.5], 0.0),
        (&[1.0, 1.0], 0.0),
    ];
    let total_loss = |model: &nn::MLP| -> f64 {
        train_data
            .iter()
            .map(|(x, y)| (&model.forward(x)[0] - *y).pow(2.0).data())
            .sum()
    };

    // Create a 2-layer neural network (2->4->1)
    let mut model = nn::MLP::new(2, &vec![4, 1]);
    let loss_before = total_loss(&model);
    // Training loop
    for epoch in 0..100 {
        for (x, y) in train_data {
            let pred = model.forward(x)[0].clone();
            let loss = (&pred - y).pow(2.0);
            model.zero_grad();
            loss.backward();
            model.update_weights(0.1);
        }
    }

    let loss_after = total_loss(&model);
    assert!(
        loss_after < loss_before / 10.0,
        "loss went from {loss_before} to {loss_after}"
    );
}
