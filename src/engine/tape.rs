//! The tape: one flat arena of nodes per thread, in creation order.
//!
//! A node's inputs always sit below it, so creation order is already a
//! topological order and backward is a single reverse sweep (see `backward.rs`).
//!
//! Users hold nodes through handles: a [`Value`](super::Value) is the index of
//! a slot, and the slot holds the node's id. Each node counts the slots that
//! point at it. Memory is what live handles can reach:
//!
//! - **From the top.** When the topmost node has no handle left it is popped,
//!   then the one below it, and so on. A training step pushes its graph above
//!   the parameters and pops it again when the step's last handle is dropped.
//! - **From the middle.** A dead node under a live one cannot be popped (a
//!   loop that keeps last step's loss keeps it there). When the tape has grown
//!   to half again what was reachable at the last look, `compact` keeps only
//!   the nodes handles can reach, moves them down in order, and points the
//!   slots at their new ids.
//!
//! A node is 16 bytes (its data and its packed op, in two arrays); its handle
//! count, grad and label live in side arrays, and a neuron's operands in its
//! block's description (`fast/blocks.rs`: one for a layer on a group of
//! rows), so that building a graph writes as little as it can.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::fast::{MAX_NODES, Neurons, PackedOp};
pub(crate) use super::ops::NodeId;
use super::ops::{NeuronOp, Op};

/// Index of a handle's slot.
pub(crate) type SlotId = u32;

/// A free slot holds this bit.
const FREE: u32 = 1 << 31;

/// Below this many nodes the tape keeps its capacity whatever happens.
const KEEP_CAPACITY: usize = 1 << 20;
/// The tape is not compacted while it is shorter than this.
const MIN_COMPACT: usize = 1 << 10;

pub(crate) struct Tape {
    /// Every node's data, in creation order.
    pub data: Vec<f64>,
    /// Every node's op, packed; as long as `data`.
    pub ops: Vec<PackedOp>,
    /// The operands of the neuron nodes, a block of them at a time.
    pub neurons: Neurons,
    /// How many slots point at each node; as long as `data`.
    pub handles: Vec<u32>,
    /// Each node's grad. Shorter than `data` until backward or `set_grad`
    /// reaches the newest nodes: a node past its end has grad 0.
    pub grads: Vec<f64>,
    /// Nodes from here up have had no grad but 0 since they were pushed.
    pub clean_from: usize,
    /// Labels, for the few nodes that have one.
    pub labels: BTreeMap<NodeId, Box<str>>,
    /// For each handle, the node it refers to, or `FREE`.
    slots: Vec<u32>,
    /// The free slots, the last freed on top.
    free_slots: Vec<SlotId>,
    /// How many nodes were reachable when `compact` last looked: the tape is
    /// looked at again once it is half as long again (or four times as long).
    reachable: usize,
    /// A dropped handle may have left much of the tape dead: look at the next visit.
    look_for_dead: bool,
    /// The longest the tape has been since it last dropped to a quarter of its capacity.
    peak: usize,
    /// `peak` as it was the time before.
    previous_peak: usize,
}

thread_local! {
    static TAPE: RefCell<Tape> = const {
        RefCell::new(Tape {
            data: Vec::new(),
            ops: Vec::new(),
            neurons: Neurons::new(),
            handles: Vec::new(),
            grads: Vec::new(),
            clean_from: 0,
            labels: BTreeMap::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            reachable: 0,
            look_for_dead: false,
            peak: 0,
            previous_peak: 0,
        })
    };
}

/// Runs `f` with this thread's tape.
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&mut Tape) -> R) -> R {
    TAPE.with(|tape| f(&mut tape.borrow_mut()))
}

/// Runs `f`, which makes nodes, with this thread's tape, compacting it first
/// if a dropped handle asked for that. Waiting until the next node is made
/// lets the drops that come together (a step's values, then the loss kept
/// from the step before) all be in; and here no node id is in flight.
#[inline]
pub(crate) fn with_new_nodes<R>(f: impl FnOnce(&mut Tape) -> R) -> R {
    TAPE.with(|tape| {
        let mut tape = tape.borrow_mut();
        if tape.look_for_dead {
            tape.look_for_dead = false;
            // Still worth a look: the tape may have been popped since.
            let reachable = tape.reachable.max(MIN_COMPACT);
            if tape.len() >= reachable + reachable / 2 {
                tape.compact();
            }
        }
        f(&mut tape)
    })
}

/// Frees a handle's slot, and the nodes nothing can reach any more.
#[inline]
pub(crate) fn release(slot: SlotId) {
    // The tape is gone only while the thread itself is being torn down;
    // then there is nothing left to free.
    let _ = TAPE.try_with(|tape| tape.borrow_mut().release(slot));
}

impl Tape {
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// The op of node `id`.
    #[inline(always)]
    pub fn op(&self, id: NodeId) -> Op {
        self.ops[id as usize].unpack(|index| self.neurons.neuron(index, id as usize))
    }

    /// Appends a node and returns its id. No handle points at it yet: one made
    /// with `new_handle` will, or it is an intermediate (the constant in
    /// `&a * 2.0`) that lives exactly as long as the nodes that use it.
    #[inline(always)]
    pub fn push(&mut self, data: f64, op: Op) -> NodeId {
        let id = self.data.len();
        assert!(id < MAX_NODES, "the tape is full: 2^30 nodes are alive");
        let packed = match op {
            Op::Neuron(neuron) => self.neurons.push_one(id as NodeId, neuron),
            op => PackedOp::pack(op),
        };
        self.data.push(data);
        self.ops.push(packed);
        self.handles.push(0);
        // Keep grads in step while they are: a huge graph built op by op then
        // pays for its grads' memory as it grows, not all at once in backward.
        if self.grads.len() == id {
            self.grads.push(0.0);
        }
        id as NodeId
    }

    /// `push` for a node that is not a neuron, leaving the side arrays to the
    /// caller, as a layer does (`room_for` before, `extend_side_arrays`
    /// after): a loss's nodes, a score at a time.
    #[inline(always)]
    pub(crate) fn push_bare(&mut self, data: f64, op: Op) -> NodeId {
        let id = self.data.len();
        self.data.push(data);
        self.ops.push(PackedOp::pack(op));
        id as NodeId
    }

    /// `push_bare` of the node `op` computes from its inputs, as `push_op`.
    #[inline(always)]
    pub(crate) fn push_op_bare(&mut self, op: Op) -> NodeId {
        let data = op.eval(&self.data);
        self.push_bare(data, op)
    }

    /// Appends a leaf for each number, as `push` would one by one.
    pub fn push_leaves(&mut self, data: &[f64]) {
        let in_step = self.room_for(data.len());
        self.data.extend_from_slice(data);
        self.ops.resize(self.data.len(), PackedOp::pack(Op::Leaf));
        self.extend_side_arrays(in_step);
    }

    /// Whether `count` more nodes fit (it panics if not), and whether grads
    /// are in step with the nodes, so that new nodes get theirs at once.
    #[inline(always)]
    pub(crate) fn room_for(&self, count: usize) -> bool {
        assert!(
            self.len() + count <= MAX_NODES,
            "the tape is full: 2^30 nodes are alive"
        );
        self.grads.len() == self.len()
    }

    /// After nodes were appended to `data` and `ops`: no handles to them, and
    /// a grad of 0 each when grads were `in_step` (`room_for`).
    #[inline(always)]
    pub(crate) fn extend_side_arrays(&mut self, in_step: bool) {
        let len = self.data.len();
        self.handles.resize(len, 0);
        if in_step {
            self.grads.resize(len, 0.0);
        }
    }

    /// Appends the node `op` computes from its inputs, as `push`.
    #[inline(always)]
    pub fn push_op(&mut self, op: Op) -> NodeId {
        let data = op.eval(&self.data);
        self.push(data, op)
    }

    /// A new handle to node `id`.
    #[inline(always)]
    pub fn new_handle(&mut self, id: NodeId) -> SlotId {
        self.handles[id as usize] += 1;
        let Some(slot) = self.free_slots.pop() else {
            self.slots.push(id);
            return (self.slots.len() - 1) as SlotId;
        };
        self.slots[slot as usize] = id;
        slot
    }

    /// Adds to the neuron table the `(bias, first weight)` pair of nodes
    /// that each pair of handles refers to; returns where they start. `None`,
    /// and nothing added, when there is no pair or one does not fit (its
    /// flag is false): checked in the same pass, without a branch per pair.
    pub(crate) fn push_params_at(
        &mut self,
        pairs: impl Iterator<Item = (SlotId, SlotId, bool)>,
    ) -> Option<u32> {
        let start = self.neurons.params.len();
        let (slots, mut all_fit) = (&self.slots, true);
        let nodes = pairs.map(|(bias, weight, fits)| {
            all_fit &= fits;
            (slots[bias as usize], slots[weight as usize])
        });
        self.neurons.params.extend(nodes);
        if all_fit && self.neurons.params.len() > start {
            return Some(start as u32);
        }
        self.neurons.params.truncate(start);
        None
    }

    /// The node a handle refers to.
    #[inline(always)]
    pub fn node(&self, slot: SlotId) -> NodeId {
        self.slots[slot as usize]
    }

    #[inline]
    pub fn release(&mut self, slot: SlotId) {
        let id = self.slots[slot as usize] as usize;
        self.slots[slot as usize] = FREE;
        self.free_slots.push(slot);
        let handles = &mut self.handles[id];
        *handles -= 1;
        if *handles > 0 {
            return;
        }
        let len = self.len();
        if id + 1 == len {
            self.pop_dead();
            return;
        }
        // A handle dropped deep in the tape may leave much of it dead (last
        // step's kept loss, say); one dropped near the top rarely does (a
        // chain of sums drops each link as it adds the next). The look waits
        // for the next node made (`with_new_nodes`).
        let reachable = self.reachable.max(MIN_COMPACT);
        let deep = len - id > len / 4;
        if (deep && len >= reachable + reachable / 2) || len >= 4 * reachable {
            self.look_for_dead = true;
        }
    }

    /// Pops every node from the top down to the first one still held by a handle.
    /// Nothing above a node can be its input, so a top node without handles is dead.
    fn pop_dead(&mut self) {
        let old_len = self.len();
        let len = live_len(&self.handles);
        self.truncate(len);
        self.peak = self.peak.max(old_len);
        if len < self.data.capacity() / 4 {
            self.give_back_memory();
        }
    }

    /// Forgets the nodes from `len` up, which nothing may refer to.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.data.truncate(len);
        self.ops.truncate(len);
        self.handles.truncate(len);
        self.grads.truncate(len);
        self.neurons.truncate(len, &mut self.ops);
        self.clean_from = self.clean_from.min(len);
        if !self.labels.is_empty() {
            self.labels.split_off(&(len as NodeId));
        }
    }

    /// Called when the tape has fallen to under a quarter of its capacity.
    /// A tape that grows to the same size step after step keeps its capacity,
    /// so that it never reallocates in a loop; after a one-off large graph it
    /// gives the memory back, keeping room for twice what is left (and for
    /// the graph before that one, in case the large one was the odd one out).
    fn give_back_memory(&mut self) {
        let keep = (2 * self.len()).max(self.previous_peak).max(KEEP_CAPACITY);
        if self.data.capacity() > 2 * keep {
            self.data.shrink_to(keep);
            self.ops.shrink_to(keep);
            self.handles.shrink_to(keep);
            self.grads.shrink_to(keep);
        }
        // The next look for dead nodes: not before the tape grows half again
        // past this cycle's peak, so that a loop that frees its graph every
        // step never pays for one. (Only a look that finds nodes to drop
        // lowers this again.)
        self.reachable = self.reachable.max(self.peak);
        self.previous_peak = self.peak;
        self.peak = 0;
    }

    /// Which nodes a handle can reach: held by one, or used by a node that is.
    fn reached(&self) -> Vec<bool> {
        // Mark: a node is reached if a handle holds it or a reached node uses
        // it. Users sit above their inputs, so one sweep down marks them all.
        let mut reached: Vec<bool> = self.handles.iter().map(|&h| h > 0).collect();
        for id in (0..self.len()).rev() {
            if !reached[id] {
                continue;
            }
            match self.op(id as NodeId) {
                Op::Neuron(neuron) => {
                    reached[neuron.weight_ids()].fill(true);
                    reached[neuron.input_ids()].fill(true);
                    reached[neuron.bias as usize] = true;
                }
                Op::LogSumExp(first, n) => {
                    reached[first as usize..(first + n) as usize].fill(true);
                }
                op => {
                    op.map_ids(|input| {
                        reached[input as usize] = true;
                        input
                    });
                }
            }
        }
        reached
    }

    /// Drops the nodes no handle can reach, moving the rest down in order.
    /// Inputs stay older than the nodes that use them, so every invariant holds.
    /// When less than a quarter of the tape is dead it moves nothing (ids stay put).
    fn compact(&mut self) {
        let len = self.len();
        let reached = self.reached();
        let kept = reached.iter().filter(|&&r| r).count();
        if kept > len - len / 4 {
            // Little to gain: look again only once the tape is half as long again.
            self.reachable = self.reachable.max(kept);
            return;
        }
        self.reachable = kept;

        // Each kept node's new id; a run of kept nodes stays a run.
        let mut new_ids = vec![0 as NodeId; len];
        let mut next = 0;
        for (id, &reached) in reached.iter().enumerate() {
            new_ids[id] = next;
            next += NodeId::from(reached);
        }
        let old_neurons = std::mem::take(&mut self.neurons);
        let old_grads_len = self.grads.len();
        for (id, &reached) in reached.iter().enumerate() {
            if !reached {
                continue;
            }
            let new_id = new_ids[id] as usize;
            // A neuron kept becomes a block of its own.
            let op = self.ops[id]
                .unpack(|index| old_neurons.neuron(index, id))
                .map_ids(|input| new_ids[input as usize]);
            self.ops[new_id] = match op {
                Op::Neuron(neuron) => self.neurons.push_one(new_id as NodeId, neuron),
                op => PackedOp::pack(op),
            };
            self.data[new_id] = self.data[id];
            self.handles[new_id] = self.handles[id];
            if id < old_grads_len {
                self.grads[new_id] = self.grads[id];
            }
        }
        self.data.truncate(kept);
        self.ops.truncate(kept);
        self.handles.truncate(kept);
        let grads_len = reached[..old_grads_len].iter().filter(|&&r| r).count();
        self.grads.truncate(grads_len);
        self.clean_from = reached[..self.clean_from].iter().filter(|&&r| r).count();
        self.labels = std::mem::take(&mut self.labels)
            .into_iter()
            .filter(|&(id, _)| reached[id as usize])
            .map(|(id, label)| (new_ids[id as usize], label))
            .collect();
        for slot in &mut self.slots {
            if *slot & FREE == 0 {
                *slot = new_ids[*slot as usize];
            }
        }
    }

    #[inline]
    pub fn grad(&self, id: NodeId) -> f64 {
        self.grads.get(id as usize).copied().unwrap_or(0.0)
    }

    pub fn set_grad(&mut self, id: NodeId, grad: f64) {
        self.grads_through(id)[id as usize] = grad;
        self.clean_from = self.clean_from.max(id as usize + 1);
    }

    /// Makes `grads` cover every node up to `id`, new ones at 0.
    #[inline]
    pub fn grads_through(&mut self, id: NodeId) -> &mut [f64] {
        if self.grads.len() <= id as usize {
            self.grads.resize(self.data.len(), 0.0);
        }
        &mut self.grads
    }

    pub fn set_label(&mut self, id: NodeId, label: String) {
        self.labels.insert(id, label.into_boxed_str());
    }

    pub fn label(&self, id: NodeId) -> Option<&str> {
        self.labels.get(&id).map(|label| &**label)
    }
}

/// One past the highest node that still has a handle.
fn live_len(handles: &[u32]) -> usize {
    // Skip dead nodes a chunk at a time: OR-ing a chunk is one vector instruction.
    const CHUNK: usize = 16;
    let mut end = handles.len();
    while end >= CHUNK && handles[end - CHUNK..end].iter().fold(0, |any, &h| any | h) == 0 {
        end -= CHUNK;
    }
    handles[..end]
        .iter()
        .rposition(|&h| h != 0)
        .map_or(0, |top| top + 1)
}

/// How many nodes this thread's tape holds, live or waiting to be freed.
pub fn len() -> usize {
    with(|tape| tape.len())
}

impl Op {
    /// Calls `f` on every node id the op holds (a power's exponent too), and
    /// returns the op with each id replaced by what `f` gave for it. A neuron's
    /// runs of weights and inputs are mapped by their first id: `f` must map a
    /// run of consecutive ids to consecutive ids.
    pub fn map_ids(self, mut f: impl FnMut(NodeId) -> NodeId) -> Op {
        match self {
            Op::Leaf => Op::Leaf,
            Op::Add(a, b) => Op::Add(f(a), f(b)),
            Op::Mul(a, b) => Op::Mul(f(a), f(b)),
            Op::Neg(a) => Op::Neg(f(a)),
            Op::Pow(a, exponent) => Op::Pow(f(a), f(exponent)),
            Op::PowValue(a, b) => Op::PowValue(f(a), f(b)),
            Op::Tanh(a) => Op::Tanh(f(a)),
            Op::Relu(a) => Op::Relu(f(a)),
            Op::Exp(a) => Op::Exp(f(a)),
            Op::Log(a) => Op::Log(f(a)),
            Op::Sigmoid(a) => Op::Sigmoid(f(a)),
            Op::LogSumExp(first, n) => Op::LogSumExp(f(first), n),
            Op::Neuron(neuron) => Op::Neuron(NeuronOp {
                bias: f(neuron.bias),
                weights: f(neuron.weights),
                inputs: f(neuron.inputs),
                ..neuron
            }),
        }
    }
}
