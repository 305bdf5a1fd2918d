"""micrograd.engine: ``Value``, a scalar and its gradient, on the Rust engine."""

from ._core import Value

__all__ = ["Value"]
