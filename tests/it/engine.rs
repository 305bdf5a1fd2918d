//! Golden values from micrograd's own tests and lecture, and the engine's
//! promises about accumulation, depth and memory.

use micrograd::Value;
use micrograd::engine::tape_len;

fn assert_close(got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "got {got}, want {want} (±{tolerance})"
    );
}

/// micrograd's test_engine.py, test_sanity_check.
#[test]
fn micrograd_sanity_check() {
    let x = Value::leaf(-4.0);
    let z = 2.0 * &x + 2.0 + &x;
    let q = z.relu() + &z * &x;
    let h = (&z * &z).relu();
    let y = &h + &q + &q * &x;
    y.backward();

    assert_eq!(y.data(), -20.0);
    assert_eq!(x.grad(), 46.0);
}

/// micrograd's test_engine.py, test_more_ops, with its += written as Rust's +=.
#[test]
fn micrograd_more_ops() {
    let a = Value::leaf(-4.0);
    let b = Value::leaf(2.0);
    let mut c = &a + &b;
    let mut d = &a * &b + b.pow(3.0);
    c += &c + 1.0;
    c += 1.0 + &c + (-&a);
    d += &d * 2.0 + (&b + &a).relu();
    d += 3.0 * &d + (&b - &a).relu();
    let e = &c - &d;
    let f = e.pow(2.0);
    let mut g = &f / 2.0;
    g += 10.0 / &f;
    g.backward();

    assert_close(g.data(), 24.70408163265306, 1e-12);
    assert_close(a.grad(), 138.83381924198252, 1e-12);
    assert_close(b.grad(), 645.5772594752186, 1e-12);
}

/// The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), its numbers written as the lecture prints them.
#[test]
#[allow(clippy::excessive_precision, clippy::approx_constant)]
fn lecture_tanh_neuron() {
    let x1 = Value::with_label(2.0, "x1");
    let x2 = Value::with_label(0.0, "x2");
    let w1 = Value::with_label(-3.0, "w1");
    let w2 = Value::with_label(1.0, "w2");
    let b = Value::with_label(6.881_373_587_019_543_2, "b");
    let n = &x1 * &w1 + &x2 * &w2 + &b;
    let o = n.tanh();
    o.backward();

    assert_close(o.data(), 0.707_106_781_186_547_6, 1e-15);
    assert_close(x1.grad(), -1.5, 1e-12);
    assert_close(w1.grad(), 1.0, 1e-12);
    assert_close(x2.grad(), 0.5, 1e-12);
    assert_eq!(w2.grad(), 0.0);
    assert_close(b.grad(), 0.5, 1e-12);
    assert_close(n.grad(), 0.5, 1e-12);
    assert_eq!(o.grad(), 1.0);
}

/// The lecture's bug: `b = a + a` must give a.grad = 2, not 1.
#[test]
fn reused_node_accumulates() {
    let a = Value::leaf(3.0);
    let b = &a + &a;
    b.backward();
    assert_eq!(a.grad(), 2.0);

    // A reused intermediate: f = d * d with d = a * b, so df/da = 2 * d * b.
    let a = Value::leaf(3.0);
    let b = Value::leaf(-2.0);
    let d = &a * &b;
    let f = &d * &d;
    f.backward();
    assert_eq!(d.grad(), 2.0 * -6.0);
    assert_eq!(a.grad(), 2.0 * -6.0 * -2.0);
    assert_eq!(b.grad(), 2.0 * -6.0 * 3.0);
}

#[test]
fn leaves_accumulate_across_backward_calls_and_intermediates_do_not() {
    let a = Value::leaf(3.0);
    let d = &a * 2.0;
    let out = d.tanh();
    out.backward();
    let (a_grad, d_grad) = (a.grad(), d.grad());
    out.backward();
    assert_eq!(
        a.grad(),
        2.0 * a_grad,
        "a leaf's grad accumulates until zeroed"
    );
    assert_eq!(
        d.grad(),
        d_grad,
        "an intermediate holds the latest pass only"
    );
}

#[test]
fn backward_reaches_only_what_the_root_depends_on() {
    let a = Value::leaf(1.0);
    let b = Value::leaf(2.0);
    let unrelated = &b * 5.0;
    let other_root = &a * &b;
    other_root.backward();
    assert_eq!(a.grad(), 2.0);
    a.set_grad(0.0);
    b.set_grad(0.0);

    let root = a.exp();
    root.backward();
    assert_eq!(a.grad(), 1f64.exp());
    assert_eq!(b.grad(), 0.0, "b is not an input of root");
    assert_eq!(unrelated.grad(), 0.0);
    // The earlier root's grad of 1 must not leak into b through the sweep: a
    // computed node older than the root holds d(root)/d(node), here 0.
    assert_eq!(other_root.grad(), 0.0);
}

#[test]
fn tanh_and_sigmoid_stay_finite_for_huge_inputs() {
    for x in [-1e308, -800.0, -710.5, 710.5, 800.0, 1e308] {
        let v = Value::leaf(x);
        let t = v.tanh();
        t.backward();
        assert_eq!(t.data(), x.signum(), "tanh({x})");
        assert_eq!(v.grad(), 0.0, "tanh'({x})");

        let v = Value::leaf(x);
        let s = v.sigmoid();
        s.backward();
        assert!(
            (0.0..=1.0).contains(&s.data()),
            "sigmoid({x}) = {}",
            s.data()
        );
        assert!(
            v.grad().is_finite() && v.grad() >= 0.0,
            "sigmoid'({x}) = {}",
            v.grad()
        );
        if x.abs() >= 800.0 {
            assert_eq!(s.data(), if x > 0.0 { 1.0 } else { 0.0 }, "sigmoid({x})");
        }
    }
    let s = Value::leaf(0.0).sigmoid();
    assert_eq!(s.data(), 0.5);
}

#[test]
fn relu_follows_micrograd() {
    for (x, out, grad) in [(-2.0, 0.0, 0.0), (0.0, 0.0, 0.0), (3.0, 3.0, 1.0)] {
        let v = Value::leaf(x);
        let r = v.relu();
        r.backward();
        assert_eq!((r.data(), v.grad()), (out, grad), "relu at {x}");
    }
}

#[test]
fn operators_take_values_references_and_numbers_on_either_side() {
    let a = Value::leaf(6.0);
    let b = Value::leaf(3.0);
    assert_eq!((&a + &b).data(), 9.0);
    assert_eq!((a.clone() - b.clone()).data(), 3.0);
    assert_eq!((&a * b.clone()).data(), 18.0);
    assert_eq!((a.clone() / &b).data(), 2.0);
    assert_eq!((&a + 2.0).data(), 8.0);
    assert_eq!((2.0 - &a).data(), -4.0);
    assert_eq!((a.clone() * 0.5).data(), 3.0);
    assert_eq!((12.0 / a.clone()).data(), 2.0);
    assert_eq!((-&a).data(), -6.0);
    assert_eq!((-a.clone()).data(), -6.0);
    assert_eq!(a.pow(2.0).data(), 36.0);
    assert_eq!(Value::leaf(1.0).exp().data(), 1f64.exp());
    assert_eq!(Value::leaf(1.0).log().data(), 0.0);
    let mut c = a.clone();
    c *= &b;
    c -= 1.0;
    c /= b.clone();
    // as micrograd, `/` is `* b**-1`: 17 * 3**-1 is one bit below 17 / 3
    assert_eq!(c.data(), 5.666666666666666);
    // a is still usable after all of the above, and unchanged
    assert_eq!(a.data(), 6.0);
    let total: Value = [1.0, 2.0, 3.0].into_iter().map(Value::leaf).sum();
    assert_eq!(total.data(), 6.0);
}

/// `-` and `/` are built as micrograd builds them (`a + (-b)`, `a * b**-1`),
/// so they give its bits: the figures are Python micrograd 0.1.0's for
/// `o = (x/y - z/x + 2.0/z - x/3.7)*(x - 1.3) - 4.0/y` at x = 1.7, y = -0.3,
/// z = 2.2, printed with `repr`.
#[test]
fn subtraction_and_division_give_micrograds_bits() {
    let (x, y, z) = (Value::leaf(1.7), Value::leaf(-0.3), Value::leaf(2.2));
    let o = (&x / &y - &z / &x + 2.0 / &z - &x / 3.7) * (&x - 1.3) - 4.0 / &y;
    o.backward();
    assert_eq!(o.data(), 10.728872187695718);
    assert_eq!(x.grad(), -7.648096035639288);
    assert_eq!(y.grad(), 36.88888888888889);
    assert_eq!(z.grad(), -0.4005833738454059);
}

/// `a ** b` with a value for exponent: the calculus, and PyTorch's grads
/// where the formulas give NaN (torch.pow's backward: 0 for the base when
/// the exponent is 0, 0 for the exponent when the base is 0 and the
/// exponent is not negative; a negative base gives the exponent NaN).
#[test]
fn a_value_as_exponent_gets_a_grad() {
    let (a, b) = (Value::leaf(1.5), Value::leaf(2.5));
    let c = a.pow_value(&b);
    c.backward();
    assert_eq!(c.data(), 1.5f64.powf(2.5));
    assert_eq!(a.grad(), 2.5 * 1.5f64.powf(1.5));
    assert_eq!(b.grad(), 1.5f64.powf(2.5) * 1.5f64.ln());
    assert_eq!(c.op(), "**");
    assert_eq!(c.inputs().len(), 2);

    let grads = |base: f64, exponent: f64| {
        let (a, b) = (Value::leaf(base), Value::leaf(exponent));
        a.pow_value(&b).backward();
        (a.grad(), b.grad())
    };
    assert_eq!(grads(0.0, 2.0), (0.0, 0.0));
    assert_eq!(grads(0.0, 0.0), (0.0, 0.0));
    assert_eq!(grads(3.0, 0.0), (0.0, 3f64.ln()));
    let (da, db) = grads(-2.0, 3.0);
    assert_eq!(da, 12.0);
    assert!(db.is_nan());
    let (_, db) = grads(0.0, -1.0);
    assert_eq!(db, f64::NEG_INFINITY);
}

#[test]
fn nodes_expose_op_inputs_label_and_visit_order() {
    let x = Value::with_label(2.0, "x");
    let w = Value::with_label(-3.0, "w");
    let xw = &x * &w;
    xw.set_label("xw");
    let o = xw.tanh();
    let squared = o.pow(2.0);

    assert_eq!(xw.op(), "*");
    assert_eq!(o.op(), "tanh");
    assert_eq!(squared.op(), "**2");
    assert_eq!(x.op(), "");
    assert!(x.is_leaf() && !xw.is_leaf());
    let inputs: Vec<usize> = xw.inputs().iter().map(Value::id).collect();
    assert_eq!(inputs, vec![x.id(), w.id()]);
    assert_eq!(o.label(), None);
    assert_eq!(xw.label().as_deref(), Some("xw"));

    let order: Vec<usize> = o.backward_order().iter().map(Value::id).collect();
    assert_eq!(order, vec![o.id(), xw.id(), w.id(), x.id()]);

    let local: Vec<(usize, f64)> = xw.local_grads().iter().map(|(v, d)| (v.id(), *d)).collect();
    assert_eq!(local, vec![(x.id(), -3.0), (w.id(), 2.0)]);
}

#[test]
fn intermediate_nodes_are_reclaimed_when_dropped() {
    let base = tape_len();
    let a = Value::leaf(1.0);
    let b = Value::leaf(2.0);
    let with_leaves = tape_len();
    for _ in 0..1000 {
        let loss = ((&a * &b + 1.0).tanh() - 0.5).pow(2.0);
        loss.backward();
    }
    assert_eq!(tape_len(), with_leaves, "every step's graph is popped");
    drop((a, b));
    assert_eq!(tape_len(), base);
}

#[test]
fn a_node_in_use_keeps_its_inputs() {
    let base = tape_len();
    let kept = {
        let a = Value::leaf(2.0);
        let t = &a * 3.0;
        t.exp()
    };
    // a, the constant 3, t and kept itself
    assert_eq!(tape_len(), base + 4);
    kept.backward();
    assert_eq!(kept.data(), 6f64.exp());
    let a = &kept.inputs()[0].inputs()[0];
    assert_eq!(a.data(), 2.0);
    assert_eq!(a.grad(), 3.0 * 6f64.exp());
}

/// 1M nodes deep: building, backward, printing and dropping must not recurse.
/// The benchmark runs 10M.
#[test]
fn million_node_chain_does_not_overflow_the_stack() {
    let n = 1_000_000;
    let base = tape_len();
    let x = Value::leaf(0.5);
    let mut chain = x.clone();
    for _ in 0..n {
        chain = &chain + &x;
    }
    chain.backward();
    assert_eq!(chain.data(), 0.5 * (n + 1) as f64);
    assert_eq!(x.grad(), (n + 1) as f64);
    assert_eq!(chain.backward_order().len(), n + 1);
    let _ = format!("{chain:?}");
    drop(chain);
    drop(x);
    assert_eq!(tape_len(), base);
}

/// `Value::neuron` gives the data and grads of the same sum written with the
/// operators, to the bit, in one node: with separate weights and inputs, with
/// the weights also the inputs (L2's sum of p*p), with the bias among them,
/// and with runs that overlap.
#[test]
fn neuron_node_matches_the_operators_bit_for_bit() {
    use micrograd::engine::Activation;
    let numbers = [0.3, -1.7, 2.9, 0.0001, -0.25, 1e3, -7.5, 0.125, 0.6];
    // (bias, weights, inputs) as positions among 9 leaves made one after another
    type Layout = (usize, std::ops::Range<usize>, std::ops::Range<usize>);
    let layouts: [Layout; 5] = [
        (8, 0..4, 4..8),
        (8, 4..8, 0..4),
        (8, 0..8, 0..8),
        (0, 0..4, 4..8),
        (8, 0..5, 2..7),
    ];
    for activation in [
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Linear,
    ] {
        for (bias, weights, inputs) in layouts.clone() {
            let case = format!("{activation:?} with b {bias}, w {weights:?}, x {inputs:?}");
            let leaves =
                || -> Vec<Value> { numbers.iter().map(|&n| Value::leaf(n * 1.1)).collect() };

            let fused_leaves = leaves();
            let before = tape_len();
            let neuron = Value::neuron(
                &fused_leaves[bias],
                &fused_leaves[weights.clone()],
                &fused_leaves[inputs.clone()],
                activation,
            );
            assert_eq!(tape_len() - before, 1, "{case}: one node");
            let fused = neuron.pow(2.0);
            fused.backward();

            let plain_leaves = leaves();
            let sum = plain_leaves[weights.clone()]
                .iter()
                .zip(&plain_leaves[inputs.clone()])
                .fold(plain_leaves[bias].clone(), |sum, (w, x)| sum + w * x);
            let plain = activation.apply(&sum).pow(2.0);
            plain.backward();

            assert_eq!(fused.data().to_bits(), plain.data().to_bits(), "{case}");
            let bits = |leaves: &[Value]| -> Vec<u64> {
                leaves.iter().map(|v| v.grad().to_bits()).collect()
            };
            assert_eq!(bits(&fused_leaves), bits(&plain_leaves), "{case}");
        }
    }
}

/// Weights or inputs that are not consecutive on the tape still work: the
/// neuron is then built from the operators.
#[test]
fn neuron_on_scattered_values_falls_back_to_the_operators() {
    use micrograd::engine::Activation;
    let a = Value::leaf(2.0);
    let b = Value::leaf(-3.0);
    let c = Value::leaf(0.5);
    let bias = Value::leaf(1.0);
    let before = tape_len();
    let out = Value::neuron(
        &bias,
        &[c.clone(), a.clone()],
        &[b.clone(), b.clone()],
        Activation::Tanh,
    );
    assert_eq!(tape_len() - before, 5, "two *, two +, one tanh");
    out.backward();
    let want = (1.0f64 + 0.5 * -3.0 + 2.0 * -3.0).tanh();
    assert_eq!(out.data(), want);
    let d = 1.0 - want * want;
    assert_eq!(b.grad(), 0.5 * d + 2.0 * d);
    assert_eq!(a.grad(), -3.0 * d);
}

/// A network trained with neuron nodes and one built from the operators give
/// the same loss and the same grads to the bit, over a batch whose samples
/// all add into each weight's grad.
#[test]
fn mlp_with_neuron_nodes_matches_the_scalar_graph() {
    use micrograd::nn::{Activation, MLP};
    use micrograd::rng::{Init, Stream};
    let sizes = [5, 4, 3];
    let activations = [Activation::Tanh, Activation::Relu, Activation::Linear];
    let inputs: Vec<[f64; 3]> = (0..7)
        .map(|i| {
            let i = i as f64;
            [i.sin(), (2.0 * i).cos(), 0.1 * i - 0.3]
        })
        .collect();
    let run = |scalar: bool| -> (u64, Vec<u64>) {
        let model = MLP::with_init(
            3,
            &sizes,
            &activations,
            Init::micrograd(Stream::Portable { seed: 9 }),
        );
        let outputs: Vec<Value> = inputs
            .iter()
            .map(|x| {
                let mut activations: Vec<Value> = x.iter().map(|&xi| Value::leaf(xi)).collect();
                for layer in &model.layers {
                    activations = if scalar {
                        layer.forward_scalar(&activations)
                    } else {
                        layer.forward(&activations)
                    };
                }
                activations.iter().map(|o| o.pow(2.0)).sum::<Value>()
            })
            .collect();
        let loss = outputs.iter().sum::<Value>() * (1.0 / 7.0);
        loss.backward();
        let grads = model
            .parameters()
            .iter()
            .map(|p| p.grad().to_bits())
            .collect();
        (loss.data().to_bits(), grads)
    };
    assert_eq!(run(false), run(true));
}

/// Keeping one value across steps keeps that step's graph, not every step's:
/// the tape compacts away what no live value can reach. (Regression: the
/// tape held every step's graph under the kept loss, 527 MiB after 300 steps.)
#[test]
fn a_value_kept_across_steps_keeps_only_its_own_graph() {
    use micrograd::nn::MLP;
    let base = tape_len();
    let mut model = MLP::new(2, &[16, 16, 1]);
    let params = tape_len() - base;
    let xs: Vec<[f64; 2]> = (0..50)
        .map(|i| [(i as f64).sin(), (i as f64).cos()])
        .collect();
    let step = |model: &MLP| -> Value {
        let scores: Vec<Value> = xs.iter().map(|x| model.forward(x).remove(0)).collect();
        scores.iter().map(|s| (1.0 - s).relu()).sum::<Value>() * (1.0 / 50.0)
    };
    let first = step(&model);
    let step_nodes = tape_len() - base - params;
    drop(first);
    assert_eq!(
        tape_len(),
        base + params,
        "a step's graph is popped when dropped"
    );

    let mut last_loss = Value::leaf(0.0);
    let mut longest = 0;
    for _ in 0..1000 {
        let total_loss = step(&model);
        model.zero_grad();
        total_loss.backward();
        model.update_weights(0.01);
        last_loss = total_loss;
        longest = longest.max(tape_len() - base);
    }
    // Two steps' graphs, each with the parameters it reads: what Python
    // micrograd holds at the moment it builds a step with the last one kept.
    let two_steps = 2 * (params + step_nodes);
    assert!(
        longest < two_steps,
        "the tape reached {longest} nodes; two steps' graphs are {two_steps}"
    );
    // the kept loss still reads its own graph
    let inputs = last_loss.inputs();
    assert_eq!(inputs.len(), 2);
    assert!(last_loss.data().is_finite());
}

/// `forward_data` treats the row as constants: same outputs and weight grads
/// to the bit as `forward`, and no grads for the inputs.
#[test]
fn forward_data_skips_only_the_inputs_grads() {
    use micrograd::nn::{Activation, MLP};
    use micrograd::rng::{Init, Stream};
    let sizes = [6, 3];
    let activations = [Activation::Tanh, Activation::Linear];
    let row = [0.5, -1.25, 2.0, 0.125];
    let run = |data: bool| -> (Vec<u64>, Vec<u64>, Vec<f64>) {
        let model = MLP::with_init(
            4,
            &sizes,
            &activations,
            Init::micrograd(Stream::Portable { seed: 3 }),
        );
        let outputs = if data {
            model.forward_data(&row)
        } else {
            model.forward(&row)
        };
        let loss = outputs.iter().map(|o| o.pow(2.0)).sum::<Value>();
        loss.backward();
        // the output neuron's inputs are w0, x0, w1, ...; its x0, the first
        // hidden neuron, has the row's leaves as its x0..x3
        let inputs = outputs[0].inputs()[1].inputs();
        let input_grads = inputs
            .iter()
            .skip(1)
            .step_by(2)
            .take(4)
            .map(Value::grad)
            .collect();
        let bits = |values: &[Value]| values.iter().map(|v| v.data().to_bits()).collect();
        let grads = model
            .parameters()
            .iter()
            .map(|p| p.grad().to_bits())
            .collect();
        (bits(&outputs), grads, input_grads)
    };
    let (outputs, grads, input_grads) = run(false);
    let (data_outputs, data_grads, data_input_grads) = run(true);
    assert_eq!(outputs, data_outputs);
    assert_eq!(grads, data_grads);
    assert!(
        input_grads.iter().all(|&g| g != 0.0),
        "forward gives the inputs grads"
    );
    assert_eq!(data_input_grads, vec![0.0; 4], "forward_data does not");
}

/// `forward_rows` on a batch gives each row's outputs, and every weight's
/// grad, to the bit as `forward_data` row by row; with a batch that is not a
/// whole number of groups, three layers (wide enough that backward holds some
/// weights' grads in registers across rows, and leaves others over), rows
/// that get no grad, and a loss that mixes the rows. A network whose weights
/// are not runs goes row by row, with the same bits.
#[test]
fn forward_rows_is_forward_data_on_each_row() {
    use micrograd::nn::{Activation, Layer, MLP, Neuron};
    use micrograd::rng::{Init, Stream};
    let nin = 19;
    let sizes = [18, 5, 2];
    let activations = [Activation::Relu, Activation::Tanh, Activation::Linear];
    let rows: Vec<Vec<f64>> = (0..19)
        .map(|r| {
            (0..nin)
                .map(|i| ((r * nin + i) as f64 * 0.37).sin() * 2.0)
                .collect()
        })
        .collect();
    let batch: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    let run = |model: &MLP, together: bool| -> (Vec<u64>, Vec<u64>) {
        let outputs: Vec<Vec<Value>> = if together {
            model.forward_rows(&batch)
        } else {
            batch.iter().map(|row| model.forward_data(row)).collect()
        };
        assert_eq!(outputs.len(), rows.len());
        let loss = outputs
            .iter()
            .enumerate()
            .map(|(r, o)| {
                let loss = (&o[0] * (r as f64 - 9.0)).tanh() + o[1].pow(2.0);
                // every fifth row passes its network no grad
                if r % 5 == 2 { loss * 0.0 } else { loss }
            })
            .sum::<Value>();
        loss.backward();
        let data = outputs
            .iter()
            .flatten()
            .map(|o| o.data().to_bits())
            .collect();
        let grads = model
            .parameters()
            .iter()
            .map(|p| p.grad().to_bits())
            .collect();
        (data, grads)
    };
    let model = MLP::with_init(
        nin,
        &sizes,
        &activations,
        Init::micrograd(Stream::Portable { seed: 5 }),
    );
    let by_row = run(&model, false);
    model.parameters().iter().for_each(|p| p.set_grad(0.0));
    let before = tape_len();
    let together = run(&model, true);
    assert_eq!(tape_len(), before, "the batch's graph is freed");
    assert_eq!(by_row, together);
    assert!(by_row.1.iter().any(|&g| f64::from_bits(g) != 0.0));

    // weights made one by one are not runs
    let scattered = MLP {
        layers: model
            .layers
            .iter()
            .map(|layer| Layer {
                neurons: layer
                    .neurons
                    .iter()
                    .map(|n| {
                        let w = n.w().iter().map(|w| Value::leaf(w.data())).collect();
                        Neuron::from_values(w, Value::leaf(n.b.data()), n.activation)
                    })
                    .collect(),
            })
            .collect(),
    };
    assert_eq!(run(&scattered, true), by_row);
}

/// `logsumexp` is one node over consecutive values and the operators'
/// composition otherwise, with the same value and the softmax as its grads;
/// it never overflows.
#[test]
fn logsumexp_is_the_softmax_normaliser() {
    let run = Value::leaves(&[1.0, 2.0, 3.0]);
    let before = tape_len();
    let fused = Value::logsumexp(&run);
    assert_eq!(tape_len() - before, 1, "one node");
    fused.backward();
    let scattered = [run[2].clone(), run[0].clone(), run[1].clone()];
    let composed = Value::logsumexp(&scattered);
    let want = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln();
    assert!((fused.data() - want).abs() < 1e-12);
    assert!((composed.data() - want).abs() < 1e-12);
    for (value, x) in run.iter().zip([1.0f64, 2.0, 3.0]) {
        let softmax = x.exp() / (1f64.exp() + 2f64.exp() + 3f64.exp());
        assert!((value.grad() - softmax).abs() < 1e-12, "{}", value.grad());
    }

    let huge = Value::leaves(&[1000.0, -1000.0]);
    let lse = Value::logsumexp(&huge);
    lse.backward();
    assert_eq!(lse.data(), 1000.0);
    assert_eq!(huge[0].grad(), 1.0);
    assert_eq!(huge[1].grad(), 0.0);
}

/// Each scheme draws every weight and bias from its layer's range, and
/// micrograd's scheme is what `MLP::new` draws.
#[test]
fn init_schemes_draw_within_each_layers_bounds() {
    use micrograd::nn::{Activation, MLP};
    use micrograd::rng::{Init, Scheme, Stream};
    let activations = [Activation::Relu, Activation::Linear];
    let stream = Stream::Portable { seed: 0 };
    for scheme in [
        Scheme::Micrograd,
        Scheme::Pytorch,
        Scheme::He,
        Scheme::Glorot,
    ] {
        let model = MLP::with_init(64, &[32, 10], &activations, Init { scheme, stream });
        for (layer, fan_in) in model.layers.iter().zip([64, 32]) {
            let (w_bound, b_bound) = scheme.bounds(fan_in, layer.neurons.len());
            let weights: Vec<f64> = layer
                .neurons
                .iter()
                .flat_map(|n| n.w().iter().map(Value::data))
                .collect();
            assert!(weights.iter().all(|w| w.abs() <= w_bound), "{scheme:?}");
            // the draws fill the range, not a corner of it
            let largest = weights.iter().fold(0.0f64, |m, w| m.max(w.abs()));
            assert!(
                largest > 0.9 * w_bound,
                "{scheme:?}: {largest} of {w_bound}"
            );
            let biases: Vec<f64> = layer.neurons.iter().map(|n| n.b.data()).collect();
            assert!(biases.iter().all(|b| b.abs() <= b_bound), "{scheme:?}");
            assert_eq!(
                biases.iter().any(|&b| b != 0.0),
                b_bound > 0.0,
                "{scheme:?}"
            );
        }
    }
    let micrograd = MLP::with_init(
        3,
        &[4, 1],
        &[Activation::Relu, Activation::Linear],
        Init::micrograd(stream),
    );
    let bits = |model: &MLP| -> Vec<u64> {
        model
            .parameters()
            .iter()
            .map(|p| p.data().to_bits())
            .collect()
    };
    assert_eq!(bits(&micrograd), bits(&MLP::new(3, &[4, 1])));
}
