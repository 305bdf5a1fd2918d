"""A notebook's training loop that keeps the last loss in a variable and
every loss's `.data` in a list holds the process's resident memory flat:
each step's graph is freed when nothing refers to it any more."""

import os

import demo
from micrograd_rs.engine import Value
from micrograd_rs.nn import MLP


def resident_kib():
    with open(f"/proc/{os.getpid()}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def test_ten_thousand_steps_hold_memory_flat():
    seen = {}
    losses = []

    def on_step(k, total_loss):
        losses.append(total_loss.data)
        if k + 1 in (1_000, 10_000):
            seen[k + 1] = resident_kib()

    last = demo.run(Value, MLP, 10_000, on_step=on_step)
    assert len(losses) == 10_000 and len(last) == 10_000
    grown = seen[10_000] - seen[1_000]
    # 9,000 more steps, each a graph of ~7,000 nodes: flat means not one of them kept
    assert grown < 2_048, f"resident memory grew {grown} KiB from step 1,000 to 10,000"
