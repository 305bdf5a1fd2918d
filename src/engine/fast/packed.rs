//! [`PackedOp`]: an [`Op`] as the tape stores it, in 8 bytes.
//!
//! 4 bits of [`Kind`], then two 30-bit input ids, in one u64, so that a node
//! (data and op) is 16 bytes and a training step's graph stays in the
//! processor's cache. A neuron's operands do not fit: its packed op holds the
//! index of its block in the tape's `Neurons`, and every node of a block
//! has the same one. Two kinds are not an `Op`'s own: they mark nodes under
//! which backward can take a shortcut (a row of data, a block it may run
//! whole), and read back as a leaf and a neuron.

use crate::engine::ops::{NeuronOp, NodeId, Op};

/// What a packed op is. The numbers are chosen for two tests the sweep makes
/// on every node: `kind & 0b1101 == Neuron` holds for a neuron and a node of
/// a whole block, and `kind >= WholeBlock` for the two marks.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Leaf = 0,
    Add = 1,
    Mul = 2,
    Neg = 3,
    Pow = 4,
    PowValue = 5,
    Tanh = 6,
    Relu = 7,
    Exp = 8,
    Log = 9,
    Sigmoid = 10,
    Neuron = 12,
    LogSumExp = 13,
    /// A neuron in a block backward runs whole (`PackedOp::whole_block`).
    WholeBlock = 14,
    /// A leaf that is the newest of a row of data (`PackedOp::data_row`).
    DataRow = 15,
}

impl Kind {
    /// The kind whose number is `bits`: the enum above read back, checked
    /// by `every_kind_reads_back`. Number 11 is free.
    #[inline(always)]
    fn from_bits(bits: u64) -> Kind {
        match bits {
            0 => Kind::Leaf,
            1 => Kind::Add,
            2 => Kind::Mul,
            3 => Kind::Neg,
            4 => Kind::Pow,
            5 => Kind::PowValue,
            6 => Kind::Tanh,
            7 => Kind::Relu,
            8 => Kind::Exp,
            9 => Kind::Log,
            10 => Kind::Sigmoid,
            12 => Kind::Neuron,
            13 => Kind::LogSumExp,
            14 => Kind::WholeBlock,
            15 => Kind::DataRow,
            _ => unreachable!("packed ops hold only the kinds above"),
        }
    }
}

/// `kind & NEURON_MASK == Kind::Neuron` for a neuron, marked or not.
const NEURON_MASK: u64 = 0b1101;
const KIND_BITS: u32 = 4;
const ID_BITS: u32 = 30;
/// How many nodes a tape can hold: ids must fit in 30 bits.
pub(crate) const MAX_NODES: usize = 1 << ID_BITS;

/// An [`Op`] in 8 bytes (see the module's doc). Code reads it back as an `Op`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PackedOp(u64);

impl PackedOp {
    #[inline(always)]
    fn new(kind: Kind, a: NodeId, b: NodeId) -> PackedOp {
        PackedOp(kind as u64 | (a as u64) << KIND_BITS | (b as u64) << (KIND_BITS + ID_BITS))
    }

    /// Packs `op`; a neuron's packed op is `PackedOp::neuron` instead.
    #[inline(always)]
    pub fn pack(op: Op) -> PackedOp {
        match op {
            Op::Leaf => PackedOp::new(Kind::Leaf, 0, 0),
            Op::Add(a, b) => PackedOp::new(Kind::Add, a, b),
            Op::Mul(a, b) => PackedOp::new(Kind::Mul, a, b),
            Op::Neg(a) => PackedOp::new(Kind::Neg, a, 0),
            Op::Pow(a, exponent) => PackedOp::new(Kind::Pow, a, exponent),
            Op::PowValue(a, b) => PackedOp::new(Kind::PowValue, a, b),
            Op::Tanh(a) => PackedOp::new(Kind::Tanh, a, 0),
            Op::Relu(a) => PackedOp::new(Kind::Relu, a, 0),
            Op::Exp(a) => PackedOp::new(Kind::Exp, a, 0),
            Op::Log(a) => PackedOp::new(Kind::Log, a, 0),
            Op::Sigmoid(a) => PackedOp::new(Kind::Sigmoid, a, 0),
            Op::Neuron(_) => unreachable!("a neuron is packed with PackedOp::neuron"),
            Op::LogSumExp(first, n) => PackedOp::new(Kind::LogSumExp, first, n),
        }
    }

    #[inline(always)]
    fn kind_bits(self) -> u64 {
        self.0 & ((1 << KIND_BITS) - 1)
    }

    #[inline(always)]
    fn kind(self) -> Kind {
        Kind::from_bits(self.kind_bits())
    }

    /// A neuron node's op: the index of its block in the tape's `Neurons`.
    #[inline(always)]
    pub fn neuron(index: usize) -> PackedOp {
        PackedOp(Kind::Neuron as u64 | (index as u64) << KIND_BITS)
    }

    /// The op of a node of block `index` when backward may run the block
    /// whole (its weights, biases and inputs all different nodes). It
    /// unpacks as `neuron(index)` does.
    #[inline(always)]
    pub fn whole_block(index: usize) -> PackedOp {
        PackedOp(Kind::WholeBlock as u64 | (index as u64) << KIND_BITS)
    }

    /// Whether this is a node of a block backward may run whole.
    #[inline(always)]
    pub fn in_whole_block(self) -> bool {
        self.kind_bits() == Kind::WholeBlock as u64
    }

    /// A leaf: the newest of a row of data leaves, with `below` more under
    /// it. No grad ever reaches a row's leaves (they are the inputs of a
    /// first layer that passes them none, and have no handles), so backward
    /// steps over the row in one go. It unpacks to `Op::Leaf`.
    #[inline(always)]
    pub fn data_row(below: usize) -> PackedOp {
        PackedOp(Kind::DataRow as u64 | (below as u64) << KIND_BITS)
    }

    /// How many data leaves lie under this one, the newest of a row; 0 for
    /// any other node.
    #[inline(always)]
    pub fn data_below(self) -> usize {
        if self.kind_bits() == Kind::DataRow as u64 {
            (self.0 >> KIND_BITS) as usize
        } else {
            0
        }
    }

    /// Whether this op marks a shortcut for backward: `data_row` or `whole_block`.
    #[inline(always)]
    pub fn is_marked(self) -> bool {
        self.kind_bits() >= Kind::WholeBlock as u64
    }

    /// Whether this is a leaf's op that marks nothing (not `data_row`).
    #[inline(always)]
    pub fn is_plain_leaf(self) -> bool {
        self.kind_bits() == Kind::Leaf as u64
    }

    /// Whether this is a leaf's op.
    #[inline(always)]
    pub fn is_leaf(self) -> bool {
        matches!(self.kind(), Kind::Leaf | Kind::DataRow)
    }

    /// The block of a neuron node; `None` for any other op.
    #[inline(always)]
    pub fn neuron_index(self) -> Option<usize> {
        (self.kind_bits() & NEURON_MASK == Kind::Neuron as u64)
            .then_some(((self.0 >> KIND_BITS) & ((1 << ID_BITS) - 1)) as usize)
    }

    /// The op, a neuron's operands being `neuron(its block's index)` (the
    /// tape's `Neurons::neuron` for the node).
    #[inline(always)]
    pub fn unpack(self, neuron: impl FnOnce(usize) -> NeuronOp) -> Op {
        self.unpack_into(neuron, |op| op)
    }

    /// `f(op)` for the op this unpacks to. Each kind's arm calls `f` with its
    /// own variant, so once `f` is inlined the match on the op inside it folds
    /// away: the reverse sweep dispatches once per node, not twice.
    #[inline(always)]
    pub fn unpack_into<R>(
        self,
        neuron: impl FnOnce(usize) -> NeuronOp,
        f: impl FnOnce(Op) -> R,
    ) -> R {
        let a = ((self.0 >> KIND_BITS) & ((1 << ID_BITS) - 1)) as NodeId;
        let b = (self.0 >> (KIND_BITS + ID_BITS)) as NodeId;
        match self.kind() {
            Kind::Leaf | Kind::DataRow => f(Op::Leaf),
            Kind::Add => f(Op::Add(a, b)),
            Kind::Mul => f(Op::Mul(a, b)),
            Kind::Neg => f(Op::Neg(a)),
            Kind::Pow => f(Op::Pow(a, b)),
            Kind::PowValue => f(Op::PowValue(a, b)),
            Kind::Tanh => f(Op::Tanh(a)),
            Kind::Relu => f(Op::Relu(a)),
            Kind::Exp => f(Op::Exp(a)),
            Kind::Log => f(Op::Log(a)),
            Kind::Sigmoid => f(Op::Sigmoid(a)),
            Kind::Neuron | Kind::WholeBlock => f(Op::Neuron(neuron(a as usize))),
            Kind::LogSumExp => f(Op::LogSumExp(a, b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Activation;
    use crate::engine::fast::blocks::{Block, Neurons};

    #[test]
    fn every_kind_reads_back() {
        let kinds = [
            Kind::Leaf,
            Kind::Add,
            Kind::Mul,
            Kind::Neg,
            Kind::Pow,
            Kind::PowValue,
            Kind::Tanh,
            Kind::Relu,
            Kind::Exp,
            Kind::Log,
            Kind::Sigmoid,
            Kind::Neuron,
            Kind::LogSumExp,
            Kind::WholeBlock,
            Kind::DataRow,
        ];
        for kind in kinds {
            let bits = kind as u64;
            assert_eq!(Kind::from_bits(bits), kind);
            let is_neuron = matches!(kind, Kind::Neuron | Kind::WholeBlock);
            assert_eq!(bits & NEURON_MASK == Kind::Neuron as u64, is_neuron);
            let is_mark = matches!(kind, Kind::WholeBlock | Kind::DataRow);
            assert_eq!(bits >= Kind::WholeBlock as u64, is_mark);
        }
    }

    #[test]
    fn packing_keeps_every_op_and_the_largest_ids() {
        let (a, b) = ((MAX_NODES - 1) as NodeId, (MAX_NODES - 2) as NodeId);
        let ops = [
            Op::Leaf,
            Op::Add(a, b),
            Op::Mul(0, a),
            Op::Neg(a),
            Op::Pow(a, b),
            Op::PowValue(b, a),
            Op::Tanh(a),
            Op::Relu(b),
            Op::Exp(1),
            Op::Log(a),
            Op::Sigmoid(a),
            Op::LogSumExp(a, b),
        ];
        let none = |_| unreachable!("no neuron");
        for op in ops {
            assert_eq!(PackedOp::pack(op).unpack(none), op);
        }
        // a block of two rows of three neurons on four inputs each
        let mut neurons = Neurons::new();
        let params = neurons.push_params(&[(4, 0), (9, 5), (14, 10)]);
        let block = Block {
            first: 40,
            count: 6,
            width: 3,
            inputs: a - 20,
            input_stride: 10,
            n: 4,
            params,
            activation: Activation::Tanh,
            input_grads: false,
            params_end: 0,
        };
        let op = neurons.push_block(block);
        assert!(op.in_whole_block());
        assert_eq!(op.neuron_index(), Some(0));
        let fifth = NeuronOp {
            bias: 9,
            weights: 5,
            inputs: a - 10,
            n: 4,
            activation: Activation::Tanh,
            input_grads: false,
        };
        let node_44 = |index| neurons.neuron(index, 44);
        assert_eq!(op.unpack(node_44), Op::Neuron(fifth));
        assert_eq!(PackedOp::neuron(0).unpack(node_44), Op::Neuron(fifth));
        assert!(!PackedOp::neuron(0).in_whole_block());
        // the largest index fits
        assert_eq!(
            PackedOp::whole_block(MAX_NODES - 1).neuron_index(),
            Some(MAX_NODES - 1)
        );
        assert_eq!(std::mem::size_of::<PackedOp>(), 8);
        assert_eq!(PackedOp::data_row(63).unpack(none), Op::Leaf);
        assert!(PackedOp::data_row(63).is_leaf());
        assert_eq!(PackedOp::data_row(63).data_below(), 63);
        assert_eq!(PackedOp::pack(Op::Leaf).data_below(), 0);
        assert_eq!(PackedOp::pack(Op::Add(5, 7)).data_below(), 0);
        assert_eq!(PackedOp::neuron(9).data_below(), 0);
        assert!(PackedOp::data_row(0).is_marked() && op.is_marked());
        assert!(!PackedOp::neuron(9).is_marked());
    }
}
