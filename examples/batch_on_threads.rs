//! Full-batch training the way `micrograd train` does it, by hand: the batch
//! is cut into shards, each shard's rows go through `MLP::forward_rows` (rows
//! side by side, one node per neuron) on its own thread's tape, and the
//! shards' gradients are added in a fixed order before one SGD step.
//! `cargo run --release --example batch_on_threads`.

use micrograd::Value;
use micrograd::nn::{Activation, MLP};
use micrograd::rng::{Init, Stream};
use micrograd::train::datasets::{self, Synthetic};
use micrograd::train::loss;

const SHARD_ROWS: usize = 250;

fn main() {
    let csv = datasets::generate(Synthetic::Moons, 1000, 0.1, 1);
    let (rows, labels): (Vec<Vec<f64>>, Vec<f64>) = csv
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<f64> = line
                .split(',')
                .map(|f| f.parse().expect("a number"))
                .collect();
            (
                fields[..2].to_vec(),
                if fields[2] > 0.0 { 1.0 } else { -1.0 },
            )
        })
        .unzip();
    let (sizes, activations) = (
        [16, 16, 1],
        [Activation::Relu, Activation::Relu, Activation::Linear],
    );
    let model = MLP::with_init(
        2,
        &sizes,
        &activations,
        Init::micrograd(Stream::Portable { seed: 1 }),
    );
    // A Value belongs to the thread that made it: threads share plain numbers.
    let mut parameters: Vec<f64> = model.parameters().iter().map(Value::data).collect();
    let n_rows = rows.len();
    for step in 0..30 {
        let shards: Vec<(f64, Vec<f64>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = rows
                .chunks(SHARD_ROWS)
                .zip(labels.chunks(SHARD_ROWS))
                .map(|(shard_rows, shard_labels)| {
                    let parameters = &parameters;
                    scope.spawn(move || {
                        let model = MLP::from_parameters(2, &sizes, &activations, parameters);
                        let batch: Vec<&[f64]> = shard_rows.iter().map(Vec::as_slice).collect();
                        let scores: Vec<Value> = model
                            .forward_rows(&batch)
                            .into_iter()
                            .map(|mut s| s.remove(0))
                            .collect();
                        let loss = loss::hinge_sum(&scores, shard_labels) * (1.0 / n_rows as f64);
                        loss.backward();
                        let grads = model.parameters().iter().map(Value::grad).collect();
                        (loss.data(), grads)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a shard"))
                .collect()
        });
        let mut loss = 0.0;
        let mut grads = vec![0.0; parameters.len()];
        for (shard_loss, shard_grads) in shards {
            loss += shard_loss;
            for (sum, g) in grads.iter_mut().zip(shard_grads) {
                *sum += g;
            }
        }
        for (p, g) in parameters.iter_mut().zip(&grads) {
            *p -= 0.5 * g;
        }
        if step % 5 == 0 || step == 29 {
            println!("step {step:2}  loss {loss:.4}");
        }
    }
}
