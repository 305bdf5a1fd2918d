//! The tape: one flat arena of nodes per thread, in creation order.
//!
//! Every [`Value`](super::Value) is an index into this arena. A node's inputs
//! always sit below it, so creation order is already a topological order and
//! backward is a single reverse sweep (see `backward.rs`).
//!
//! Memory is reclaimed from the top: each node counts the `Value` handles that
//! point at it, and when the topmost node has none left it is popped, then the
//! one below it, and so on. A training step pushes its whole graph above the
//! parameters and pops it again when the step's last handle is dropped, so
//! memory stays flat however many steps run. A dead node under a live one waits
//! until everything above it is gone.
//!
//! A node is 16 bytes (its data and its packed op); its handle count, grad and label
//! live in side arrays, so that building a graph writes as little as it can.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::ops::{MAX_NODES, Op, PackedOp};

/// Index of a node in the tape.
pub(crate) type NodeId = u32;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub data: f64,
    packed: PackedOp,
}

impl Node {
    #[inline(always)]
    pub fn new(data: f64, op: Op) -> Node {
        Node {
            data,
            packed: PackedOp::pack(op),
        }
    }

    #[inline(always)]
    pub fn op(&self) -> Op {
        self.packed.unpack()
    }
}

pub(crate) struct Tape {
    /// Every node's data and op, in creation order.
    pub nodes: Vec<Node>,
    /// How many `Value` handles point at each node; as long as `nodes`.
    pub handles: Vec<u32>,
    /// Each node's grad. Shorter than `nodes` until backward or `set_grad`
    /// reaches the newest nodes: a node past its end has grad 0.
    pub grads: Vec<f64>,
    /// Nodes from here up have had no grad but 0 since they were pushed.
    pub clean_from: usize,
    /// Labels, for the few nodes that have one.
    pub labels: BTreeMap<NodeId, Box<str>>,
}

/// Below this many nodes the tape keeps its capacity when it shrinks.
const KEEP_CAPACITY: usize = 1 << 20;

thread_local! {
    static TAPE: RefCell<Tape> = const {
        RefCell::new(Tape {
            nodes: Vec::new(),
            handles: Vec::new(),
            grads: Vec::new(),
            clean_from: 0,
            labels: BTreeMap::new(),
        })
    };
}

/// Runs `f` with this thread's tape.
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&mut Tape) -> R) -> R {
    TAPE.with(|tape| f(&mut tape.borrow_mut()))
}

/// Drops one handle to `id`, popping dead nodes off the top of the tape.
#[inline]
pub(crate) fn release(id: NodeId) {
    // The tape is gone only while the thread itself is being torn down;
    // then there is nothing left to free.
    let _ = TAPE.try_with(|tape| tape.borrow_mut().release(id));
}

impl Tape {
    /// Appends a node and returns its id. No handle points at it yet: one made
    /// with `retain` will, or it is an intermediate (the constant in `&a * 2.0`)
    /// that lives exactly as long as the nodes that use it.
    #[inline(always)]
    pub fn push(&mut self, data: f64, op: Op) -> NodeId {
        let id = self.nodes.len();
        assert!(id < MAX_NODES, "the tape is full: 2^30 nodes are alive");
        self.nodes.push(Node::new(data, op));
        self.handles.push(0);
        // Keep grads in step while they are: a huge graph built op by op then
        // pays for its grads' memory as it grows, not all at once in backward.
        if self.grads.len() == id {
            self.grads.push(0.0);
        }
        id as NodeId
    }

    /// Appends the node `op` computes from its inputs, as `push`.
    #[inline(always)]
    pub fn push_op(&mut self, op: Op) -> NodeId {
        let data = op.eval(&self.nodes);
        self.push(data, op)
    }

    /// Appends `((bias + w0*x0) + w1*x1) + ...` as alternating `*` and `+` nodes
    /// and returns the id of the last sum.
    pub fn push_weighted_sum(
        &mut self,
        bias: NodeId,
        terms: impl ExactSizeIterator<Item = (NodeId, NodeId)>,
    ) -> NodeId {
        let start = self.nodes.len();
        let n_nodes = 2 * terms.len();
        assert!(
            start + n_nodes <= MAX_NODES,
            "the tape is full: 2^30 nodes are alive"
        );
        let sum = push_sum_nodes(&mut self.nodes, bias, terms);
        self.handles.resize(self.nodes.len(), 0);
        sum
    }

    #[inline(always)]
    pub fn retain(&mut self, id: NodeId) {
        self.handles[id as usize] += 1;
    }

    #[inline]
    fn release(&mut self, id: NodeId) {
        let handles = &mut self.handles[id as usize];
        *handles -= 1;
        if *handles == 0 && id as usize + 1 == self.nodes.len() {
            self.pop_dead();
        }
    }

    /// Pops every node from the top down to the first one still held by a handle.
    /// Nothing above a node can be its input, so a top node without handles is dead.
    fn pop_dead(&mut self) {
        let len = live_len(&self.handles);
        self.nodes.truncate(len);
        self.handles.truncate(len);
        self.grads.truncate(len);
        self.clean_from = self.clean_from.min(len);
        if !self.labels.is_empty() {
            self.labels.split_off(&(len as NodeId));
        }
        // Give memory back after a very large graph, with room to spare so that
        // a tape that grows and shrinks every step does not reallocate each time.
        if self.nodes.capacity() > KEEP_CAPACITY && len < self.nodes.capacity() / 4 {
            let keep = (2 * len).max(KEEP_CAPACITY);
            self.nodes.shrink_to(keep);
            self.handles.shrink_to(keep);
            self.grads.shrink_to(keep);
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
            self.grads.resize(self.nodes.len(), 0.0);
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

/// `Tape::push_weighted_sum`'s loop: the hottest code in training, so it
/// writes each new node once, straight into reserved capacity, with the running
/// sum in a register. Each node's data is what `Op::Mul` and `Op::Add` compute,
/// in the same order (a test checks the nodes match the operators' bit for bit).
#[inline(never)]
fn push_sum_nodes(
    nodes: &mut Vec<Node>,
    bias: NodeId,
    terms: impl ExactSizeIterator<Item = (NodeId, NodeId)>,
) -> NodeId {
    let start = nodes.len();
    let n_terms = terms.len();
    nodes.reserve(2 * n_terms);
    let base = nodes.as_mut_ptr();
    // SAFETY: `old` is the initialised nodes, and the writes below go only to
    // the capacity reserved after them, so the two never overlap; `base` stays
    // valid because nothing reallocates `nodes` until `set_len`.
    let old = unsafe { std::slice::from_raw_parts(base, start) };
    let mut sum = bias;
    let mut sum_data = old[bias as usize].data;
    let mut written = 0;
    for (w, x) in terms.take(n_terms) {
        let product = (start + written) as NodeId;
        let product_data = old[w as usize].data * old[x as usize].data;
        sum_data += product_data;
        // SAFETY: `start + written + 1 < start + 2 * n_terms`, within the reserved capacity.
        unsafe {
            base.add(start + written)
                .write(Node::new(product_data, Op::Mul(w, x)));
            base.add(start + written + 1)
                .write(Node::new(sum_data, Op::Add(sum, product)));
        }
        written += 2;
        sum = product + 1;
    }
    // SAFETY: every slot up to `start + written` has been written above.
    unsafe { nodes.set_len(start + written) };
    sum
}

/// How many nodes this thread's tape holds, live or waiting to be popped.
pub fn len() -> usize {
    with(|tape| tape.nodes.len())
}
