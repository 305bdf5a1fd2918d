//! micrograd's demo.ipynb, reproduced: the moons data, MLP(2, [16, 16, 1])
//! drawn as CPython's random.seed(1337) would, hinge loss plus L2, 100 steps
//! of SGD. Loss and accuracy must follow micrograd's printed trajectory.

use micrograd::Value;
use micrograd::nn::{Activation, MLP};
use micrograd::rng::{Init, Stream};
use micrograd::train::{datasets, loss};

const TRAJECTORY: &str = include_str!("../../data/micrograd_demo_trajectory.csv");

/// micrograd's demo `loss()`: returns the total loss and the number classified right.
fn demo_loss(model: &MLP, xs: &[[f64; 2]], ys: &[f64]) -> (Value, usize) {
    let scores: Vec<Value> = xs.iter().map(|x| model.forward(x).remove(0)).collect();
    let total_loss = loss::hinge(&scores, ys) + loss::l2(&model.parameters(), 1e-4);
    let correct = ys
        .iter()
        .zip(&scores)
        .filter(|(y, score)| (**y > 0.0) == (score.data() > 0.0))
        .count();
    (total_loss, correct)
}

#[test]
fn micrograd_demo_trajectory_is_reproduced() {
    let (xs, ys): (Vec<[f64; 2]>, Vec<f64>) = datasets::demo_moons().into_iter().unzip();
    assert_eq!(xs.len(), 100);
    let expected: Vec<Vec<f64>> = TRAJECTORY
        .lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .map(|field| field.parse().expect("a number"))
                .collect()
        })
        .collect();
    assert_eq!(expected.len(), 100);

    let sizes = [16, 16, 1];
    let mut model = MLP::with_init(
        2,
        &sizes,
        &Activation::micrograd_default(sizes.len()),
        Init::micrograd(Stream::Python { seed: 1337 }),
    );
    assert_eq!(model.parameters().len(), 337);

    let mut accuracy = 0.0;
    for (k, want) in expected.iter().enumerate() {
        let (total_loss, correct) = demo_loss(&model, &xs, &ys);
        model.zero_grad();
        total_loss.backward();
        let learning_rate = 1.0 - 0.9 * k as f64 / 100.0;
        model.update_weights(learning_rate);

        let loss = total_loss.data();
        accuracy = correct as f64;
        if k == 0 {
            assert_eq!(
                loss, 0.895_844_102_868_322_2,
                "step 0 loss must match exactly"
            );
        }
        let relative = ((loss - want[1]) / want[1]).abs();
        // The issue asks for 1e-6; we hold 1e-12. micrograd itself varies in the
        // last digit or two between runs (its gradient order is a set's order).
        assert!(
            relative <= 1e-12,
            "step {k}: loss {loss}, micrograd {} (relative {relative:e})",
            want[1]
        );
        assert_eq!(
            accuracy, want[2],
            "step {k}: accuracy {accuracy}%, micrograd {}%",
            want[2]
        );
    }
    assert_eq!(accuracy, 100.0, "step 99 classifies every point");
}
