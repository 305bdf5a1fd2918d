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

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::ops::Op;

/// Index of a node in the tape.
pub(crate) type NodeId = u32;

/// The node has an entry in `Tape::labels`.
pub(crate) const LABELLED: u8 = 1;
/// Backward has reached the node in the sweep under way.
pub(crate) const REACHED: u8 = 2;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub data: f64,
    pub grad: f64,
    pub op: Op,
    /// How many `Value` handles point at this node.
    pub handles: u32,
    pub flags: u8,
}

impl Node {
    #[inline(always)]
    pub fn is_leaf(&self) -> bool {
        matches!(self.op, Op::Leaf)
    }
}

pub(crate) struct Tape {
    pub nodes: Vec<Node>,
    /// Labels live beside the nodes so that unlabelled intermediates cost no allocation.
    pub labels: BTreeMap<NodeId, Box<str>>,
}

/// Below this many nodes the tape keeps its capacity when it shrinks.
const KEEP_CAPACITY: usize = 1 << 20;

thread_local! {
    static TAPE: RefCell<Tape> = const {
        RefCell::new(Tape { nodes: Vec::new(), labels: BTreeMap::new() })
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
    /// Appends a node with one handle and returns its id.
    #[inline]
    pub fn push(&mut self, data: f64, op: Op) -> NodeId {
        let id = self.push_unowned(data, op);
        self.nodes[id as usize].handles = 1;
        id
    }

    /// Appends a node that no handle points at, such as the constant in `&a * 2.0`:
    /// it lives exactly as long as the node that uses it.
    #[inline]
    pub fn push_unowned(&mut self, data: f64, op: Op) -> NodeId {
        let id = self.nodes.len();
        assert!(
            id < NodeId::MAX as usize,
            "the tape is full: 2^32 - 1 nodes are alive"
        );
        self.nodes.push(Node {
            data,
            grad: 0.0,
            op,
            handles: 0,
            flags: 0,
        });
        id as NodeId
    }

    #[inline]
    pub fn retain(&mut self, id: NodeId) {
        self.nodes[id as usize].handles += 1;
    }

    #[inline]
    fn release(&mut self, id: NodeId) {
        let node = &mut self.nodes[id as usize];
        node.handles -= 1;
        if node.handles == 0 && id as usize + 1 == self.nodes.len() {
            self.pop_dead();
        }
    }

    /// Pops every node from the top down to the first one still held by a handle.
    /// Nothing above a node can be its input, so a top node without handles is dead.
    fn pop_dead(&mut self) {
        let mut len = self.nodes.len();
        while len > 0 && self.nodes[len - 1].handles == 0 {
            len -= 1;
            if self.nodes[len].flags & LABELLED != 0 {
                self.labels.remove(&(len as NodeId));
            }
        }
        self.nodes.truncate(len);
        // Give memory back after a very large graph, with room to spare so that
        // a tape that grows and shrinks every step does not reallocate each time.
        let capacity = self.nodes.capacity();
        if capacity > KEEP_CAPACITY && len < capacity / 4 {
            self.nodes.shrink_to((2 * len).max(KEEP_CAPACITY));
        }
    }

    pub fn set_label(&mut self, id: NodeId, label: String) {
        self.nodes[id as usize].flags |= LABELLED;
        self.labels.insert(id, label.into_boxed_str());
    }

    pub fn label(&self, id: NodeId) -> Option<&str> {
        if self.nodes[id as usize].flags & LABELLED == 0 {
            return None;
        }
        self.labels.get(&id).map(|label| &**label)
    }
}

/// How many nodes this thread's tape holds, live or waiting to be popped.
pub fn len() -> usize {
    with(|tape| tape.nodes.len())
}
