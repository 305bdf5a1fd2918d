"""micrograd.nn: ``Module``, ``Neuron``, ``Layer`` and ``MLP``, on the Rust
engine. Weights come from Python's ``random.uniform(-1, 1)``, as micrograd
draws them, so ``random.seed(1337)`` gives micrograd's networks."""

from ._core import MLP, Layer, Module, Neuron

__all__ = ["Module", "Neuron", "Layer", "MLP"]
