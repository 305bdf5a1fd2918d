//! The README's training loop, on XOR: `cargo run --example train_xor`.

use micrograd::nn;

fn main() {
    let train_data: [(&[f64], f64); 4] = [
        (&[0.0, 0.0], -1.0),
        (&[0.0, 1.0], 1.0),
        (&[1.0, 0.0], 1.0),
        (&[1.0, 1.0], -1.0),
    ];
    // A 2-layer neural network (2->8->1), micrograd's defaults
    let mut model = nn::MLP::new(2, &[8, 1]);
    for epoch in 0..200 {
        let mut total = 0.0;
        for (x, y) in train_data {
            let pred = model.forward(x)[0].clone();
            let loss = (&pred - y).pow(2.0);
            total += loss.data();
            model.zero_grad();
            loss.backward();
            model.update_weights(0.05);
        }
        if epoch % 40 == 0 || epoch == 199 {
            println!("epoch {epoch:3}  loss {:.6}", total / 4.0);
        }
    }
    for (x, y) in train_data {
        println!("{x:?} -> {:+.3} (want {y:+})", model.forward(x)[0].data());
    }
}
