"""A notebook's training loop that keeps the last loss in a variable and
every loss's `.data` in a list holds the process's resident memory flat:
each step's graph is freed when nothing refers to it any more. What grows
is the list of losses itself, which is counted out."""

import os
import sys

import demo
from micrograd_rs.engine import Value
from micrograd_rs.nn import MLP


def resident_kib():
    with open(f"/proc/{os.getpid()}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def bytes_held(numbers):
    """What a list of floats takes."""
    return sys.getsizeof(numbers) + sum(sys.getsizeof(x) for x in numbers)


def test_ten_thousand_steps_hold_memory_flat():
    seen = {}
    losses = []

    def on_step(k, total_loss):
        losses.append(total_loss.data)
        if k + 1 == 1_000:
            seen["at"] = (resident_kib(), bytes_held(losses))

    demo.run(Value, MLP, 10_000, on_step=on_step, keep=False)
    after = resident_kib()
    before, held_before = seen["at"]
    listed = (bytes_held(losses) - held_before) // 1024
    grown = after - before - listed
    print(f"\nfrom step 1,000 to 10,000: {after - before} KiB more resident, {listed} KiB of it the list of losses")
    # each step's graph is ~7,000 nodes: keeping one node a step would be ~300 KiB more
    assert grown < 256, f"{after - before} KiB more from step 1,000 to 10,000, {listed} of it the list of losses"
