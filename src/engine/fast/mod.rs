//! The speed path: what makes a network's training step fast, beside the
//! plain engine rather than inside it. A learner can skip this folder: every
//! function here gives the same nodes, data and grads, to the bit, as the
//! plain path (`value.rs`, `ops.rs`, `backward.rs`), and the tests below
//! check that.
//!
//! - `packed.rs`: an op in 8 bytes, as the tape stores it, and the marks
//!   that let backward take shortcuts;
//! - `blocks.rs`: the tape's neurons, a layer on a group of rows described
//!   once (`Block`);
//! - `sweep.rs`: backward for graphs with neurons, entered from
//!   `backward::backward` (the one place the plain path hands over);
//! - `layers.rs`: a layer's neurons eight at a time (`push_layer`), a batch
//!   of rows side by side (`push_network`);
//! - `batch.rs`: `Value`s made, read and dropped many at a time, for `nn`
//!   and training.

mod batch;
mod blocks;
mod layers;
mod packed;
mod sweep;

pub(crate) use batch::{LayerRefs, RowsLoss};
pub(crate) use blocks::Neurons;
pub(crate) use packed::{MAX_NODES, PackedOp};
pub(crate) use sweep::sweep;

#[cfg(test)]
mod tests {
    use crate::engine::Value;
    use crate::engine::ops::Activation;
    use crate::engine::ops::chain_rule;
    use crate::engine::tape;

    /// Every node's grad from `root` by the plain chain rule, node by node
    /// with no shortcut, on fresh grads (the root's 1, the rest 0).
    fn plain_grads(root: &Value) -> Vec<f64> {
        tape::with(|tape| {
            let root = tape.node(root.slot) as usize;
            let mut grads = vec![0.0; root + 1];
            grads[root] = 1.0;
            for id in (0..=root).rev() {
                if grads[id] != 0.0 {
                    let op = tape.op(id as tape::NodeId);
                    chain_rule(op, grads[id], tape.data[id], &tape.data, &mut grads);
                }
            }
            grads
        })
    }

    /// `root.backward()` on fresh grads, every node's grad after it.
    fn fast_grads(root: &Value) -> Vec<f64> {
        root.backward();
        tape::with(|tape| {
            let root = tape.node(root.slot) as usize;
            (0..=root).map(|id| tape.grad(id as tape::NodeId)).collect()
        })
    }

    fn assert_same_bits(plain: &[f64], fast: &[f64]) {
        assert_eq!(plain.len(), fast.len());
        for (id, (p, f)) in plain.iter().zip(fast).enumerate() {
            assert_eq!(p.to_bits(), f.to_bits(), "node {id}: plain {p}, fast {f}");
        }
    }

    /// Weights and numbers drawn from a small deterministic sequence.
    fn numbers(count: usize, seed: u64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..count)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
            })
            .collect()
    }

    /// A 3-20-17-2 network on nineteen rows (a full group of rows and a short
    /// one), built as `forward_rows` builds it
    /// (blocks of rows, rows of data), for each activation, a loss from it
    /// that reuses nodes, and an L2 term whose neuron has each weight as its
    /// own input: the fast sweep's every shortcut, against the plain sweep.
    #[test]
    fn the_fast_sweep_gives_the_plain_sweeps_bits() {
        for (seed, activation) in [
            Activation::Relu,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Linear,
        ]
        .into_iter()
        .enumerate()
        {
            let sizes = [3, 37, 17, 2];
            let mut layers = Vec::new();
            for (layer_idx, pair) in sizes.windows(2).enumerate() {
                let (n_in, n_out) = (pair[0], pair[1]);
                let mut neurons = Vec::new();
                for neuron_idx in 0..n_out {
                    let draw = numbers(
                        n_in + 1,
                        (seed * 1000 + layer_idx * 100 + neuron_idx) as u64,
                    );
                    let weights = Value::leaves(&draw[..n_in]);
                    neurons.push((Value::leaf(draw[n_in]), weights));
                }
                layers.push(neurons);
            }
            let rows_data: Vec<Vec<f64>> = (0..19).map(|r| numbers(3, 7000 + r)).collect();
            let rows: Vec<&[f64]> = rows_data.iter().map(Vec::as_slice).collect();
            let spec: Vec<(Vec<(&Value, &Value)>, Activation)> = layers
                .iter()
                .enumerate()
                .map(|(layer_idx, neurons)| {
                    let refs = neurons.iter().map(|(b, w)| (b, &w[0])).collect();
                    let last = layer_idx + 1 == layers.len();
                    (refs, if last { Activation::Linear } else { activation })
                })
                .collect();
            let outputs = Value::network_on_rows(&spec, &rows);
            let mut loss = Value::leaf(0.0);
            for (r, row) in outputs.chunks(2).enumerate() {
                let score = &row[r % 2] - &row[1 - r % 2];
                loss = loss + (1.0 - score * &row[0]).relu() + Value::logsumexp(row);
            }
            let weights: Vec<Value> = layers[0].iter().flat_map(|(_, w)| w.clone()).collect();
            let l2 = Value::weighted_sum(&Value::leaf(0.0), &weights, &weights);
            let root = loss + 1e-3 * l2;
            let plain = plain_grads(&root);
            assert!(plain.iter().filter(|&&g| g != 0.0).count() > 100);
            assert_same_bits(&plain, &fast_grads(&root));
        }
    }

    /// The hinge sum built in one visit is the operators' sum: the same
    /// nodes' data, and the same grads reaching the scores, to the bit.
    #[test]
    fn the_hinge_sum_is_the_operators() {
        let data = numbers(37, 5);
        let labels: Vec<f64> = (0..37)
            .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        let by_operators = |scores: &[Value]| -> Value {
            let terms = labels
                .iter()
                .zip(scores)
                .map(|(&y, s)| (1.0 + -y * s).relu());
            terms.sum()
        };
        let length = || tape::with(|t| t.len());
        let a = Value::leaves(&data);
        let before = length();
        let plain = by_operators(&a);
        let plain_nodes = length() - before;
        let b = Value::leaves(&data);
        let before = length();
        let fused = Value::hinge_sum(&b, &labels);
        assert_eq!(plain_nodes, length() - before, "as many nodes");
        assert_eq!(plain.data().to_bits(), fused.data().to_bits());
        (plain * 0.25).backward();
        (fused * 0.25).backward();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.grad().to_bits(), y.grad().to_bits());
        }
        assert_eq!(Value::hinge_sum(&[], &[]).data(), 0.0);
    }

    /// The cross-entropy sum built in one visit is the operators' sum.
    #[test]
    fn the_cross_entropy_sum_is_the_operators() {
        let labels: Vec<usize> = (0..9).map(|i| (i * 7) % 4).collect();
        let by_operators = |rows: &[Vec<Value>]| -> Value {
            let terms = (rows.iter())
                .zip(&labels)
                .map(|(row, &label)| Value::logsumexp(row) - &row[label]);
            terms.sum()
        };
        let rows =
            || -> Vec<Vec<Value>> { (0..9).map(|r| Value::leaves(&numbers(4, 50 + r))).collect() };
        let length = || tape::with(|t| t.len());
        let a = rows();
        let before = length();
        let plain = by_operators(&a);
        let plain_nodes = length() - before;
        let b = rows();
        let before = length();
        let fused =
            Value::cross_entropy_sum(b.iter().map(Vec::as_slice), &labels).expect("rows of runs");
        assert_eq!(plain_nodes, length() - before, "as many nodes");
        assert_eq!(plain.data().to_bits(), fused.data().to_bits());
        (plain * 0.5).backward();
        (fused * 0.5).backward();
        for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
            assert_eq!(x.grad().to_bits(), y.grad().to_bits());
        }
        // a row that is not a run is left to the operators
        let scattered = [vec![b[0][0].clone(), b[1][1].clone()]];
        assert!(Value::cross_entropy_sum(scattered.iter().map(Vec::as_slice), &[0]).is_none());
    }

    /// A layer built eight neurons at a time on inputs that pass grads on.
    #[test]
    fn a_layer_of_neurons_gives_the_plain_sweeps_bits() {
        let inputs = Value::leaves(&numbers(9, 1));
        let neurons: Vec<(Value, Vec<Value>)> = (0..13)
            .map(|j| {
                let draw = numbers(10, 100 + j);
                (Value::leaf(draw[9]), Value::leaves(&draw[..9]))
            })
            .collect();
        let refs = neurons.iter().map(|(b, w)| (b, &w[0], true));
        let outputs = Value::neurons_on_weight_runs(refs, &inputs, Activation::Tanh, true)
            .expect("the inputs are a run");
        let root: Value = outputs.iter().map(|o| o * o).sum();
        let plain = plain_grads(&root);
        assert_same_bits(&plain, &fast_grads(&root));
    }

    /// A network built row by row (`layers_on_run`, as `MLP::forward`) under
    /// a hinge whose margin most rows meet: rows that pass nothing on, which
    /// the sweep steps over a run at a time, next to rows that do, and the
    /// weights' leaves under them all.
    #[test]
    fn idle_rows_give_the_plain_sweeps_bits() {
        let sizes = [3, 9, 9, 1];
        let layers: Vec<Vec<(Value, Vec<Value>)>> = (sizes.windows(2).enumerate())
            .map(|(l, pair)| {
                (0..pair[1])
                    .map(|j| {
                        let draw: Vec<f64> = (numbers(pair[0] + 1, (l * 100 + j) as u64).iter())
                            .map(|x| 3.0 * x)
                            .collect();
                        (Value::leaf(draw[pair[0]]), Value::leaves(&draw[..pair[0]]))
                    })
                    .collect()
            })
            .collect();
        let activations = [Activation::Relu, Activation::Relu, Activation::Linear];
        let scores: Vec<Value> = (0..40)
            .map(|r| {
                let inputs = Value::leaves(&numbers(3, 500 + r));
                let spec = layers.iter().zip(activations).map(|(neurons, activation)| {
                    (neurons.iter().map(|(b, w)| (b, &w[0], true)), activation)
                });
                Value::layers_on_run(spec, &inputs, true).expect("a run")[0].clone()
            })
            .collect();
        // labels that agree with the scores, but for every fifth row
        let labels: Vec<f64> = (scores.iter().enumerate())
            .map(|(r, s)| {
                if (s.data() > 0.0) == (r % 5 != 0) {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect();
        let met = (scores.iter().zip(&labels))
            .filter(|(s, y)| 1.0 - *y * s.data() < 0.0)
            .count();
        assert!(met >= 20, "only {met} rows meet the margin");
        let root = Value::hinge_sum(&scores, &labels) * 0.5;
        let plain = plain_grads(&root);
        assert!(plain.iter().filter(|&&g| g != 0.0).count() > 100);
        assert_same_bits(&plain, &fast_grads(&root));
    }

    /// A network and its loss built in one visit to the tape
    /// (`network_loss_on_rows`, training's way) are the network's outputs
    /// with handles and then the loss on them: as many nodes, the same
    /// loss, the outputs' data handed back, every weight's grad to the bit.
    #[test]
    fn a_network_and_its_loss_in_one_visit_are_the_two_apart() {
        use super::RowsLoss;
        for nout in [1, 4] {
            let neurons = |nin: usize, count: usize, seed: u64| -> Vec<(Value, Vec<Value>)> {
                (0..count)
                    .map(|j| {
                        let draw = numbers(nin + 1, seed + j as u64);
                        (Value::leaf(draw[nin]), Value::leaves(&draw[..nin]))
                    })
                    .collect()
            };
            let layers = [neurons(3, 7, 10), neurons(7, nout, 20)];
            let spec: Vec<_> = (layers.iter().zip([Activation::Relu, Activation::Linear]))
                .map(|(layer, activation)| {
                    let refs = layer.iter().map(|(b, w)| (b, &w[0])).collect();
                    (refs, activation)
                })
                .collect();
            let rows_data: Vec<Vec<f64>> = (0..19).map(|r| numbers(3, 700 + r)).collect();
            let rows: Vec<&[f64]> = rows_data.iter().map(Vec::as_slice).collect();
            let signs: Vec<f64> = (0..19)
                .map(|r| if r % 3 == 0 { -1.0 } else { 1.0 })
                .collect();
            let classes: Vec<usize> = (0..19).map(|r| r % 4).collect();
            let weights = || {
                layers
                    .iter()
                    .flatten()
                    .flat_map(|(b, w)| w.iter().chain([b]))
            };
            let length = || tape::with(|t| t.len());

            let before = length();
            let outputs = Value::network_on_rows(&spec, &rows);
            let apart = if nout == 1 {
                Value::hinge_sum(&outputs, &signs)
            } else {
                Value::cross_entropy_sum(outputs.chunks(nout), &classes).expect("runs")
            };
            let apart_nodes = length() - before;
            apart.backward();
            let apart_grads: Vec<u64> = weights().map(|w| w.grad().to_bits()).collect();
            let apart_scores: Vec<f64> = outputs.iter().map(Value::data).collect();
            Value::zero_grads(weights());
            let apart_loss = apart.data();
            drop((apart, outputs));

            let (before, mut scores) = (length(), Vec::new());
            let loss = if nout == 1 {
                RowsLoss::Hinge(&signs)
            } else {
                RowsLoss::CrossEntropy(&classes)
            };
            let together = Value::network_loss_on_rows(&spec, &rows, loss, &mut scores);
            assert_eq!(length() - before, apart_nodes, "as many nodes");
            assert_eq!(together.data().to_bits(), apart_loss.to_bits());
            assert_eq!(scores, apart_scores);
            together.backward();
            let grads: Vec<u64> = weights().map(|w| w.grad().to_bits()).collect();
            assert_eq!(grads, apart_grads);
            assert!(grads.iter().filter(|&&g| g != 0).count() > 20);
        }
    }

    /// Blocks cut short: a root inside a block (backward from a middle
    /// output), and a block popped inside a row (the outputs above dropped),
    /// then built on again. Each goes node by node and still gives the plain
    /// sweep's bits.
    #[test]
    fn blocks_cut_short_give_the_plain_sweeps_bits() {
        let neurons: Vec<(Value, Vec<Value>)> = (0..5)
            .map(|j| {
                let draw = numbers(4, 300 + j);
                (Value::leaf(draw[3]), Value::leaves(&draw[..3]))
            })
            .collect();
        let spec = vec![(
            neurons.iter().map(|(b, w)| (b, &w[0])).collect(),
            Activation::Tanh,
        )];
        let rows_data: Vec<Vec<f64>> = (0..19).map(|r| numbers(3, 900 + r)).collect();
        let rows: Vec<&[f64]> = rows_data.iter().map(Vec::as_slice).collect();
        let mut outputs = Value::network_on_rows(&spec, &rows);
        // a root inside the second group's block
        let middle = outputs[17 * 5 + 2].clone();
        assert_same_bits(&plain_grads(&middle), &fast_grads(&middle));
        // the last row's last three outputs dropped: the block is cut inside a row
        outputs.truncate(18 * 5 + 2);
        drop(middle);
        let length = tape::with(|t| t.len());
        let cut = tape::with(|t| {
            t.ops[..length]
                .iter()
                .rev()
                .take(12)
                .map(|op| op.in_whole_block())
                .collect::<Vec<_>>()
        });
        assert_eq!(
            cut, [false; 12],
            "a block cut inside a row goes node by node"
        );
        let top = outputs[18 * 5 + 1].clone();
        assert_eq!(tape::with(|t| t.len()), length);
        let root = outputs.iter().fold(top * 2.0, |sum, o| sum + o * o);
        Value::zero_grads(neurons.iter().flat_map(|(b, w)| w.iter().chain([b])));
        assert_same_bits(&plain_grads(&root), &fast_grads(&root));
    }
}
