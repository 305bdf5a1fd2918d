"""The demo notebook's training loop, as written there, on micrograd 0.1.0
and on micrograd_rs in the same process.

micrograd keeps a value's children in a set (`_prev`), and its backward
visits them in the set's order, which follows memory addresses: the last
bits of its losses vary from run to run. With the set's order made the
order the children were given, micrograd is deterministic, and its 100
losses are ours bit for bit."""

import pytest

import demo
from micrograd_rs.engine import Value
from micrograd_rs.nn import MLP

engine = pytest.importorskip("micrograd.engine")
nn = pytest.importorskip("micrograd.nn")


@pytest.fixture(scope="module")
def ours():
    return demo.run(Value, MLP, 100)


def test_the_demo_is_micrograds_bit_for_bit(ours, monkeypatch):
    given = engine.Value.__init__

    def in_the_order_given(self, data, _children=(), _op=""):
        given(self, data, _children, _op)
        self._prev = list(dict.fromkeys(_children))

    monkeypatch.setattr(engine.Value, "__init__", in_the_order_given)
    theirs = demo.run(engine.Value, nn.MLP, 100)
    for k, (mine, micrograds) in enumerate(zip(ours, theirs)):
        assert mine == micrograds, f"step {k}: {mine} vs micrograd's {micrograds}"
    assert ours[0] == (0.8958441028683222, 0.5)
    assert ours[-1][1] == 1.0


def test_plain_micrograd_agrees_to_its_own_wobble(ours):
    theirs = demo.run(engine.Value, nn.MLP, 3)
    for k, ((mine, acc), (micrograds, their_acc)) in enumerate(zip(ours, theirs)):
        assert acc == their_acc, f"step {k}"
        assert abs(mine - micrograds) <= 1e-12 * abs(micrograds), f"step {k}: {mine} vs {micrograds}"
