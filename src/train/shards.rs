//! The shard runtime: a step's batch cut into shards by a rule that looks
//! only at its size, each shard's forward and backward on the tape of
//! whichever thread takes it (the run's `Crew`), over that thread's own copy
//! of the network, and the shards' losses and grads added up in shard order.
//! So the model is the same, bit for bit, however many threads ran it.

use std::sync::{Arc, Mutex, PoisonError};

use crate::engine::{Activation, Value};
use crate::nn::MLP;
use crate::train::crew::{Crew, Tasks};
use crate::train::loss;
use crate::train::model::Rows;
use crate::train::problem::{Problem, Target};

/// Rows per shard, at most: a batch of more rows is cut into
/// `ceil(rows / SHARD_ROWS)` shards, rounded up to an even number.
pub const SHARD_ROWS: usize = 128;
/// Shards hold whole groups of this many rows. It was the rows
/// `forward_rows` computed side by side (now sixteen), and stays, so that
/// where shards are cut, and with it the order in which the shards' grads
/// are added, does not move: that would move the last bits of models
/// trained on more than 128 rows a step.
const ROWS_IN_FLIGHT: usize = 8;

/// The shards of a batch of `n_rows` rows, as ranges of its positions.
///
/// More than one come in an even number, so that two threads share them
/// evenly: 1,078 rows make ten shards, five for each thread, not nine (five
/// and four). Shards hold whole groups of eight rows (`ROWS_IN_FLIGHT`), as
/// equal in number as can be, the last shard taking what is left.
pub(crate) fn shards(n_rows: usize) -> Vec<std::ops::Range<usize>> {
    let mut n_shards = n_rows.div_ceil(SHARD_ROWS).max(1);
    if n_shards > 1 {
        n_shards = n_shards.next_multiple_of(2);
    }
    let groups = n_rows.div_ceil(ROWS_IN_FLIGHT);
    let (size, extra) = (groups / n_shards, groups % n_shards);
    let mut start = 0;
    (0..n_shards)
        .map(|shard| {
            let groups = size + usize::from(shard < extra);
            let end = (start + groups * ROWS_IN_FLIGHT).min(n_rows);
            let rows = start..end;
            start = end;
            rows
        })
        .collect()
}

/// The network's shape, to build it from a vector of parameters.
pub(crate) struct Shape<'a> {
    pub nin: usize,
    pub sizes: &'a [usize],
    pub activations: &'a [Activation],
}

impl Shape<'_> {
    pub fn model(&self, parameters: &[f64]) -> MLP {
        MLP::from_parameters(self.nin, self.sizes, self.activations, parameters)
    }
}

/// A piece of a batch, to run on one thread.
struct Shard<'a> {
    /// Indices into the training rows.
    rows: &'a [usize],
    target: Target,
    /// The whole batch's size: each sample's loss counts `1/batch_size`.
    batch_size: usize,
    /// L1 and L2 strengths: 0 but in the first shard.
    l1: f64,
    l2: f64,
}

/// What a shard gives back: its part of the loss, of each grad, and its scores.
pub(crate) struct ShardResult {
    pub loss: f64,
    /// The L1 and L2 terms in `loss` (0 but in the first shard).
    pub penalty: f64,
    pub grads: Vec<f64>,
    /// each row's outputs, one row after another
    pub scores: Vec<f64>,
}

/// A copy of the network on one thread's tape, made when the thread takes
/// its first shard and kept for the run, so that its leaves and handles are
/// not made again each step: [`Network::load`] sets its parameters to the
/// step's.
pub(crate) struct Network {
    model: MLP,
    /// `model.parameters()`, kept for the L2 term and for reading the grads.
    parameters: Vec<Value>,
}

impl Network {
    fn new(shape: &Shape, parameters: &[f64]) -> Network {
        let model = shape.model(parameters);
        let parameters = model.parameters();
        Network { model, parameters }
    }

    fn load(&self, parameters: &[f64]) {
        self.model.set_parameter_data(parameters);
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        Value::drop_all(std::mem::take(&mut self.parameters));
    }
}

/// A step's shards, and what they need, for any thread of the run to take.
pub(crate) struct StepWork {
    /// The parameters' values for this step.
    pub parameters: Vec<f64>,
    /// The batch's rows, as indices into the training rows.
    pub batch: Vec<usize>,
    pub batch_y: Target,
    pub shards: Vec<std::ops::Range<usize>>,
    pub l1: f64,
    pub l2: f64,
    pub tasks: Tasks<ShardResult>,
    pub spares: Arc<Spares>,
}

/// Buffers for the shards' grads and scores, kept from step to step. Made
/// fresh each step they were hundreds of kilobytes, which the allocator gave
/// back to the system after every step and took again, page by page.
#[derive(Default)]
pub(crate) struct Spares(Mutex<Vec<Vec<f64>>>);

impl Spares {
    fn take(&self) -> Vec<f64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    }

    pub fn give(&self, buffers: impl IntoIterator<Item = Vec<f64>>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(buffers);
    }
}

impl StepWork {
    /// Runs the step's shards, on this thread and, when `offer`, on the
    /// crew's too, and adds up their results in shard order, each as soon
    /// as the shards before it are in: a batch of many shards holds a few
    /// shards' grads at a time, not all of them.
    pub fn run(
        self: &Arc<Self>,
        crew: &Crew<StepWork>,
        offer: bool,
        network: &mut Option<Network>,
        shape: &Shape,
        problem: &Problem,
        rows: &Rows,
    ) -> ShardResult {
        if offer && self.shards.len() > 1 {
            crew.offer(Arc::clone(self));
        }
        let mut sum = Sum::default();
        self.take_shards(network, shape, problem, rows, &mut || {
            sum.add_finished(&self.tasks, &self.spares);
        });
        self.tasks.wait(crew);
        sum.add_finished(&self.tasks, &self.spares);
        sum.total.expect("a batch has at least one shard")
    }

    /// Runs shards nobody has taken yet, until none is left, on this thread's
    /// copy of the network (made on the thread's first shard); `after_each`
    /// after each.
    fn take_shards(
        &self,
        network: &mut Option<Network>,
        shape: &Shape,
        problem: &Problem,
        rows: &Rows,
        after_each: &mut dyn FnMut(),
    ) {
        let mut loaded = false;
        while let Some(index) = self.tasks.take() {
            let network = network.get_or_insert_with(|| Network::new(shape, &self.parameters));
            if !loaded {
                network.load(&self.parameters);
                loaded = true;
            }
            let positions = self.shards[index].clone();
            let shard = Shard {
                rows: &self.batch[positions.clone()],
                target: self.batch_y.select(&positions.collect::<Vec<_>>()),
                batch_size: self.batch.len(),
                // The L1 and L2 terms are added once, in the first shard.
                l1: if index == 0 { self.l1 } else { 0.0 },
                l2: if index == 0 { self.l2 } else { 0.0 },
            };
            self.tasks
                .finish(index, shard.run(network, problem, rows, &self.spares));
            after_each();
        }
    }
}

/// A step's shards added up so far, in shard order.
#[derive(Default)]
struct Sum {
    total: Option<ShardResult>,
    /// The next shard to add.
    next: usize,
}

impl Sum {
    /// Adds the finished shards from `next` on, up to the first that is not.
    fn add_finished(&mut self, tasks: &Tasks<ShardResult>, spares: &Spares) {
        while let Some(shard) = tasks.finished(self.next) {
            self.next += 1;
            let Some(total) = &mut self.total else {
                self.total = Some(shard);
                continue;
            };
            // the penalty is the first shard's: the others have none
            total.loss += shard.loss;
            for (grad, shard_grad) in total.grads.iter_mut().zip(&shard.grads) {
                *grad += shard_grad;
            }
            total.scores.extend_from_slice(&shard.scores);
            spares.give([shard.grads, shard.scores]);
        }
    }
}

/// A helper thread's run: each step's shards that are left when it looks.
pub(crate) fn help(crew: &Crew<StepWork>, shape: &Shape, problem: &Problem, rows: &Rows) {
    // a panic here closes the crew, which the step waiting for a shard hears
    let _closer = crew.closer();
    let mut network = None;
    let mut seen = 0;
    while let Some(work) = crew.next(&mut seen) {
        work.take_shards(&mut network, shape, problem, rows, &mut || {});
    }
}

impl Shard<'_> {
    /// Forward and backward on this thread's tape, with its own copy of the network.
    fn run(
        &self,
        network: &mut Network,
        problem: &Problem,
        rows: &Rows,
        spares: &Spares,
    ) -> ShardResult {
        // the grads of this shard only, as a new copy's would be
        network.model.zero_grad();
        let batch: Vec<&[f64]> = self.rows.iter().map(|&i| rows.row(i)).collect();
        let (model, n) = (&network.model, self.batch_size);
        let mut score_data = spares.take();
        let data_loss = problem.loss_and_scores(model, &batch, &self.target, n, &mut score_data);
        let mut total_loss = data_loss;
        let mut penalty = 0.0;
        if self.l1 > 0.0 {
            let l1 = loss::l1(&network.parameters, self.l1);
            penalty += l1.data();
            total_loss += l1;
        }
        if self.l2 > 0.0 {
            let l2 = loss::l2(&network.parameters, self.l2);
            penalty += l2.data();
            total_loss += l2;
        }
        total_loss.backward();
        let mut grads = spares.take();
        network.model.grads_into(&mut grads);
        ShardResult {
            loss: total_loss.data(),
            penalty,
            grads,
            scores: score_data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shards finish in any order; they are added in shard order, each as
    /// soon as those before it are in.
    #[test]
    fn shards_are_added_in_order_whatever_order_they_finish_in() {
        // the losses' sum depends on the order: 1e16 + 1 is 1e16
        let values = [1.0, 1e16, 1.0, -1e16];
        let result = |k: usize| ShardResult {
            loss: values[k],
            penalty: 0.0,
            grads: vec![values[k], -values[k]],
            scores: vec![k as f64],
        };
        let (tasks, spares) = (Tasks::new(4), Spares::default());
        let mut sum = Sum::default();
        for (k, added) in [(2, 0), (0, 1), (3, 1), (1, 4)] {
            tasks.finish(k, result(k));
            sum.add_finished(&tasks, &spares);
            assert_eq!(sum.next, added, "after shard {k}");
        }
        let total = sum.total.expect("all four added");
        let in_order = ((values[0] + values[1]) + values[2]) + values[3];
        assert_ne!(in_order, values.iter().rev().sum::<f64>());
        assert_eq!(total.loss.to_bits(), in_order.to_bits());
        assert_eq!(total.grads, vec![in_order, -in_order]);
        assert_eq!(total.scores, vec![0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn batches_are_cut_into_equal_shards_whatever_the_threads() {
        let sizes = |n| shards(n).iter().map(|rows| rows.len()).collect::<Vec<_>>();
        assert_eq!(shards(100), vec![0..100], "the demo is one shard");
        assert_eq!(sizes(SHARD_ROWS), vec![SHARD_ROWS]);
        assert_eq!(sizes(SHARD_ROWS + 1), vec![72, 57]);
        assert_eq!(sizes(1000), [vec![128; 5], vec![120; 3]].concat());
        assert_eq!(
            sizes(1078),
            [vec![112; 5], vec![104; 4], vec![102]].concat(),
            "ten, not nine"
        );
        assert_eq!(sizes(3 * SHARD_ROWS), vec![96; 4]);
        for n in 1..5000 {
            let shards = shards(n);
            assert!(
                shards.len() == 1 || shards.len().is_multiple_of(2),
                "{n} rows"
            );
            assert!(
                shards
                    .iter()
                    .all(|rows| rows.len() <= SHARD_ROWS && !rows.is_empty())
            );
            let groups = |rows: &std::ops::Range<usize>| rows.len().div_ceil(ROWS_IN_FLIGHT);
            assert!(
                shards[..shards.len() - 1]
                    .iter()
                    .all(|rows| rows.len() % ROWS_IN_FLIGHT == 0)
            );
            let most = shards.iter().map(groups).max();
            let least = shards.iter().map(groups).min();
            assert!(most <= least.map(|least| least + 1), "{n} rows: {shards:?}");
        }
        let rows: Vec<usize> = shards(1001).into_iter().flatten().collect();
        assert_eq!(
            rows,
            (0..1001).collect::<Vec<_>>(),
            "every row once, in order"
        );
    }
}
