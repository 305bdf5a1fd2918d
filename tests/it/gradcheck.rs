//! Every op's gradient against central finite differences, on seeded random
//! inputs, alone and in random expressions that reuse nodes.

use micrograd::Value;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// d f/d x_i by central differences, x_i ± h.
fn numeric_grad(f: &dyn Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = 1e-6 * x[i].abs().max(1.0);
    let mut up = x.to_vec();
    up[i] += h;
    let mut down = x.to_vec();
    down[i] -= h;
    (f(&up) - f(&down)) / (2.0 * h)
}

/// Runs `build` on leaves holding `x`, backprops, and checks each leaf's grad.
fn check(name: &str, build: &dyn Fn(&[Value]) -> Value, x: &[f64]) {
    let leaves: Vec<Value> = x.iter().map(|&xi| Value::leaf(xi)).collect();
    let out = build(&leaves);
    out.backward();
    let f = |x: &[f64]| {
        let leaves: Vec<Value> = x.iter().map(|&xi| Value::leaf(xi)).collect();
        build(&leaves).data()
    };
    for (i, leaf) in leaves.iter().enumerate() {
        let numeric = numeric_grad(&f, x, i);
        let analytic = leaf.grad();
        let scale = analytic.abs().max(numeric.abs()).max(1.0);
        assert!(
            (analytic - numeric).abs() <= 1e-6 * scale,
            "{name} at {x:?}: d/dx{i} analytic {analytic}, numeric {numeric}"
        );
    }
}

type Op = (&'static str, fn(&[Value]) -> Value);

/// Each op, fed in its smooth domain: `x` in [-3, 3] for most, (0.1, 5) where
/// the op needs a positive argument.
const OPS: [Op; 17] = [
    ("a + b", |v| &v[0] + &v[1]),
    ("a - b", |v| &v[0] - &v[1]),
    ("a * b", |v| &v[0] * &v[1]),
    ("a / b", |v| &v[0] / &v[1]),
    ("-a", |v| -&v[0]),
    ("a ** 3", |v| v[0].pow(3.0)),
    ("a ** -1.5", |v| v[1].pow(-1.5)),
    ("a ** 0.5", |v| v[1].pow(0.5)),
    ("b ** a", |v| v[1].pow_value(&v[0])),
    ("b ** (a * b)", |v| v[1].pow_value(&(&v[0] * &v[1]))),
    ("tanh a", |v| v[0].tanh()),
    ("relu a", |v| v[0].relu()),
    ("exp a", |v| v[0].exp()),
    ("log b", |v| v[1].log()),
    ("sigmoid a", |v| v[0].sigmoid()),
    ("2.5 / b - a * 3", |v| 2.5 / &v[1] - &v[0] * 3.0),
    ("logsumexp(a, b)", |v| Value::logsumexp(&v[..2])),
];

#[test]
fn every_op_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    for (name, op) in OPS {
        for _ in 0..50 {
            // v[0] anywhere in [-3, 3] but away from relu's kink, v[1] positive
            let mut a: f64 = rng.random_range(-3.0..3.0);
            if a.abs() < 1e-3 {
                a = 0.5;
            }
            let b: f64 = rng.random_range(0.1..5.0);
            check(name, &op, &[a, b]);
        }
    }
}

#[test]
fn ops_on_reused_nodes_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for (name, op) in OPS {
        // The same leaf on both sides, and a shared intermediate fed to the op twice.
        let reused = |v: &[Value]| op(&[v[0].clone(), v[0].clone()]);
        let shared = |v: &[Value]| {
            let t = &v[0] * 0.5 + 2.0;
            op(&[t.clone(), t]) * &v[0]
        };
        for _ in 0..20 {
            let x = rng.random_range(0.2..3.0);
            check(&format!("{name} on (x, x)"), &reused, &[x]);
            check(&format!("{name} on a shared intermediate"), &shared, &[x]);
        }
    }
}

/// The neuron node, for each activation, with its operands laid out apart,
/// shared (weights that are also inputs) and overlapping.
#[test]
fn neuron_matches_finite_differences() {
    use micrograd::engine::Activation;
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    for activation in [
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Linear,
    ] {
        for _ in 0..30 {
            let n = rng.random_range(1..6);
            // away from relu's kink: a positive bias outweighs the terms' spread
            let mut x: Vec<f64> = (0..2 * n + 1)
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            x[2 * n] = rng.random_range(-3.0..3.0);
            let name = format!("neuron {activation:?} of {n}");
            // (bias, weights, inputs) as positions among the leaves
            let layouts = [
                ("apart", 2 * n, 0..n, n..2 * n),
                ("shared", 2 * n, 0..n, 0..n),
                (
                    "overlapping, bias among the weights",
                    0,
                    0..n + 1,
                    n..2 * n + 1,
                ),
            ];
            for (layout, bias, weights, inputs) in layouts {
                // relu has a kink where its sum crosses 0: stay clear of it
                let sum: f64 = x[bias]
                    + x[weights.clone()]
                        .iter()
                        .zip(&x[inputs.clone()])
                        .map(|(w, x)| w * x)
                        .sum::<f64>();
                if activation == Activation::Relu && sum.abs() < 1e-3 {
                    continue;
                }
                let build = |v: &[Value]| {
                    Value::neuron(
                        &v[bias],
                        &v[weights.clone()],
                        &v[inputs.clone()],
                        activation,
                    ) * &v[1]
                };
                check(&format!("{name}, {layout}"), &build, &x);
            }
        }
    }
}

/// A random expression: each step applies a random op to earlier results, so
/// nodes are reused at random depths.
#[derive(Clone, Copy, Debug)]
enum Step {
    Binary(usize, usize, usize),
    Unary(usize, usize),
}

fn random_recipe(rng: &mut ChaCha8Rng, n_inputs: usize, n_steps: usize) -> Vec<Step> {
    (0..n_steps)
        .map(|step| {
            let pool = n_inputs + step;
            if rng.random_bool(0.6) {
                Step::Binary(
                    rng.random_range(0..5),
                    rng.random_range(0..pool),
                    rng.random_range(0..pool),
                )
            } else {
                Step::Unary(rng.random_range(0..6), rng.random_range(0..pool))
            }
        })
        .collect()
}

/// Builds the recipe; ops that need a safe domain get one (`b*b + 1` as a divisor).
fn build(recipe: &[Step], inputs: &[Value]) -> Value {
    let mut pool = inputs.to_vec();
    for &step in recipe {
        let next = match step {
            Step::Binary(kind, i, j) => {
                let (a, b) = (&pool[i], &pool[j]);
                match kind {
                    0 => a + b,
                    1 => a - b,
                    2 => (a * b).tanh(),
                    3 => a / (b * b + 1.0),
                    _ => (a * a + 0.5).pow_value(&b.tanh()),
                }
            }
            Step::Unary(kind, i) => {
                let a = &pool[i];
                match kind {
                    0 => a.tanh(),
                    1 => a.sigmoid(),
                    2 => a.tanh().exp(),
                    3 => (a * a + 1.0).log(),
                    4 => (a * a + 0.5).pow(-0.5),
                    _ => -a.relu() + a * 0.25,
                }
            }
        };
        pool.push(next);
    }
    // Sum the last few so that several paths reach the root.
    pool.iter().rev().take(3).sum()
}

#[test]
fn random_expressions_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(1337);
    for _ in 0..200 {
        let n_inputs = rng.random_range(1..4);
        let n_steps = rng.random_range(1..15);
        let recipe = random_recipe(&mut rng, n_inputs, n_steps);
        let x: Vec<f64> = (0..n_inputs).map(|_| rng.random_range(-2.0..2.0)).collect();
        check(&format!("{recipe:?}"), &|v| build(&recipe, v), &x);
    }
}
