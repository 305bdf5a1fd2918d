"""micrograd-rs against PyTorch and Karpathy's micrograd, side by side on this machine.

1. One step of demo.ipynb (moons, MLP 2-16-16-1, hinge + L2, full batch, SGD)
   in micrograd, in PyTorch (float64, batched tensors, 1 thread) and in
   micrograd-rs (`cargo bench --bench engine -- demo`).
2. `micrograd train`'s full-batch step on larger tasks (`-- tasks`) against
   the same step in PyTorch, float64, at 1 and 2 threads: 1,000 and 5,000
   moons with MLP 2-32-32-1 (hinge + L2, SGD), and data shaped like
   scikit-learn's digits (1,078 x 64, 10 classes) with MLP 64-32-10
   (cross-entropy, SGD). Both sides start from uniform(-1, 1) weights, as
   micrograd does, on data of the same shape and kind.

Rust and PyTorch take turns, task by task, and each keeps its best time
per task. The "paired" ratios are taken within each round, between figures
measured seconds apart, and their median printed: this machine's speed
drifts by 2x over minutes, each core on its own, so a ratio of two bests
can pair one side's fast minute with the other's slow one. Run through
benches/compare.sh, which makes the Python environment.
"""

import csv
import os
import random
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROGRAD_STEPS = int(os.environ.get("MICROGRAD_STEPS", "5"))
TORCH_RUNS, TORCH_STEPS = 11, 100
# Shared machines drift: Rust and PyTorch take turns this many times and each
# keeps its best median, so that both are measured under the same conditions.
ROUNDS = int(os.environ.get("COMPARE_ROUNDS", "5"))


def load_moons():
    with open(os.path.join(ROOT, "data", "micrograd_demo_moons.csv")) as f:
        rows = [[float(v) for v in row] for row in list(csv.reader(f))[1:]]
    return [r[:2] for r in rows], [r[2] for r in rows]


def micrograd_ms_per_step(X, y):
    from micrograd.engine import Value
    from micrograd.nn import MLP

    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    times, first_loss = [], None
    for k in range(MICROGRAD_STEPS):
        start = time.perf_counter()
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        times.append((time.perf_counter() - start) * 1e3)
        first_loss = first_loss if first_loss is not None else total_loss.data
    return statistics.median(times), first_loss


def torch_ms_per_step(X, y):
    import torch
    from micrograd.nn import MLP

    torch.set_num_threads(1)
    random.seed(1337)
    reference = MLP(2, [16, 16, 1])
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)

    def fresh_params():
        params = []
        for layer in reference.layers:
            w = [[p.data for p in n.w] for n in layer.neurons]
            b = [n.b.data for n in layer.neurons]
            params.append(torch.tensor(w, dtype=torch.float64, requires_grad=True))
            params.append(torch.tensor(b, dtype=torch.float64, requires_grad=True))
        return params

    def step(params, k):
        w1, b1, w2, b2, w3, b3 = params
        h1 = torch.relu(Xt @ w1.T + b1)
        h2 = torch.relu(h1 @ w2.T + b2)
        scores = (h2 @ w3.T + b3).squeeze(1)
        data_loss = torch.relu(1 - yt * scores).mean()
        reg_loss = 1e-4 * sum((p * p).sum() for p in params)
        total_loss = data_loss + reg_loss
        for p in params:
            p.grad = None
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        with torch.no_grad():
            for p in params:
                p -= learning_rate * p.grad
        return total_loss.item()

    first_loss = step(fresh_params(), 0)
    runs = []
    for _ in range(TORCH_RUNS):
        params = fresh_params()
        start = time.perf_counter()
        for k in range(TORCH_STEPS):
            step(params, k)
        runs.append((time.perf_counter() - start) * 1e3 / TORCH_STEPS)
    return statistics.median(runs), first_loss


TASKS = [
    # name, rows, layer sizes, loss
    ("moons1000", 1000, [2, 32, 32, 1], "hinge"),
    ("moons5000", 5000, [2, 32, 32, 1], "hinge"),
    ("digits", 1078, [64, 32, 10], "cross_entropy"),
]
# as many as benches/engine.rs times per run of a task
TASK_STEPS = 100
# Wider networks on 5,000 moons, one thread, with COMPARE_WIDTHS=1: ten
# steps a run on both sides, as benches/engine.rs's wide tasks.
WIDE_TASKS = [(f"wide{w}", 5000, [2, w, w, 1], "hinge") for w in (128, 256, 512)]
WIDE_STEPS = 10


def task_data(torch, name, rows):
    gen = torch.Generator().manual_seed(1)
    if name.startswith(("moons", "wide")):
        half = rows // 2
        t = torch.linspace(0, 3.141592653589793, half, dtype=torch.float64)
        upper = torch.stack([t.cos(), t.sin()], 1)
        t = torch.linspace(0, 3.141592653589793, rows - half, dtype=torch.float64)
        lower = torch.stack([1 - t.cos(), 0.5 - t.sin()], 1)
        X = torch.cat([upper, lower]) + 0.1 * torch.randn(rows, 2, generator=gen, dtype=torch.float64)
        y = torch.cat([-torch.ones(half), torch.ones(rows - half)]).double()
        return X, y
    centres = 16 * torch.rand(10, 64, generator=gen, dtype=torch.float64)
    labels = torch.arange(rows) % 10
    noise = 8 * torch.rand(rows, 64, generator=gen, dtype=torch.float64) - 4
    X = (centres[labels] + noise).clamp(0, 16).round()
    return X, labels


def torch_task_ms(name, rows, sizes, loss_kind, threads, steps=TASK_STEPS, device="cpu"):
    """PyTorch's ms per step on a task, float64, on `device` (`cuda` for a
    GPU, as benches/device_torch.py asks): the median of five runs."""
    import torch

    torch.set_num_threads(threads)
    X, y = task_data(torch, name, rows)
    X, y = X.to(device), y.to(device)
    gen = torch.Generator().manual_seed(2)
    params = []
    for nin, nout in zip(sizes, sizes[1:]):
        w = 2 * torch.rand(nout, nin, generator=gen, dtype=torch.float64) - 1
        b = torch.zeros(nout, dtype=torch.float64)
        params += [w.to(device).requires_grad_(), b.to(device).requires_grad_()]

    def step():
        h = X
        for i in range(0, len(params), 2):
            h = h @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                h = torch.relu(h)
        if loss_kind == "hinge":
            loss = torch.relu(1 - y * h.squeeze(1)).mean()
            loss = loss + 1e-4 * sum((p * p).sum() for p in params)
        else:
            loss = torch.nn.functional.cross_entropy(h, y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad
        return loss

    step().item()
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(steps):
            loss = step()
        loss.item()  # a GPU's steps are queued: wait for the last
        runs.append((time.perf_counter() - start) * 1e3 / steps)
    return statistics.median(runs)


def rust_tasks_ms(name, *threads):
    out = subprocess.run(
        ["cargo", "bench", "--quiet", "--bench", "engine", "--", "tasks", name, *threads],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    times = {}
    for line in out.splitlines():
        if line.startswith("task_ms"):
            _, name, threads, ms = line.split()
            times[(name, int(threads))] = float(ms)
    return times


def rust_ms_per_step():
    out = subprocess.run(
        ["cargo", "bench", "--quiet", "--bench", "engine", "--", "demo"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("demo_ms_per_step"):
            return float(line.split()[1])
    sys.exit(f"no demo_ms_per_step in the bench's output:\n{out}")


def compare_tasks():
    # Every round's figures, for each side's best and each round's ratios:
    # each task in turn, micrograd-rs at 1 and 2 threads, then PyTorch.
    rust, torch_ms = [], []
    for _ in range(ROUNDS):
        rust_round, torch_round = {}, {}
        for name, rows, sizes, loss_kind in TASKS:
            rust_round.update(rust_tasks_ms(name))
            for threads in (1, 2):
                torch_round[(name, threads)] = torch_task_ms(name, rows, sizes, loss_kind, threads)
        rust.append(rust_round)
        torch_ms.append(torch_round)

    def best(rounds, key):
        return min(r[key] for r in rounds)

    def paired(ratio):
        """The median of a ratio taken within each round, and its range."""
        values = sorted(ratio(i) for i in range(ROUNDS))
        return statistics.median(values), values[0], values[-1]

    print(f"full-batch training step, float64, ms/step (best of {ROUNDS} alternating rounds)")
    print(f"paired: the median over the {ROUNDS} rounds of the ratio within each, taken seconds apart")
    print(f"{'task':<12} {'threads':>7} {'micrograd-rs':>13} {'PyTorch':>9} {'ratio':>7} {'paired':>8}")
    for name, _, _, _ in TASKS:
        for threads in (1, 2):
            key = (name, threads)
            ours, theirs = best(rust, key), best(torch_ms, key)
            median, _, _ = paired(lambda i: rust[i][key] / torch_ms[i][key])
            print(f"{name:<12} {threads:>7} {ours:>13.3f} {theirs:>9.3f} {ours / theirs:>6.2f}x {median:>7.2f}x")
    one, five, two = ("moons1000", 1), ("moons5000", 1), ("moons1000", 2)
    median, low, high = paired(lambda i: rust[i][five] / rust[i][one])
    print(f"moons 1,000 -> 5,000 rows, 1 thread: {best(rust, five) / best(rust, one):.2f}x the time; "
          f"paired {median:.2f}x ({low:.2f}-{high:.2f})")
    median, low, high = paired(lambda i: rust[i][one] / rust[i][two])
    print(f"moons 1,000 rows, 2 threads: {best(rust, one) / best(rust, two):.2f}x as fast as 1; "
          f"paired {median:.2f}x ({low:.2f}-{high:.2f})")
    print()


def compare_widths():
    """One thread, 5,000 moons, MLP 2-W-W-1: each side's best of the rounds."""
    rust, torch_ms = {}, {}
    for _ in range(ROUNDS):
        for name, rows, sizes, loss_kind in WIDE_TASKS:
            ours = rust_tasks_ms(name, "1")[(name, 1)]
            theirs = torch_task_ms(name, rows, sizes, loss_kind, 1, WIDE_STEPS)
            rust[name] = min(rust.get(name, ours), ours)
            torch_ms[name] = min(torch_ms.get(name, theirs), theirs)
    print(f"5,000 moons, MLP 2-W-W-1, one thread, ms/step (best of {ROUNDS} alternating rounds)")
    print(f"{'width':<8} {'micrograd-rs':>13} {'PyTorch':>9} {'ratio':>7}")
    for name, _, sizes, _ in WIDE_TASKS:
        print(f"{sizes[1]:<8} {rust[name]:>13.2f} {torch_ms[name]:>9.2f} {rust[name] / torch_ms[name]:>6.2f}x")
    print(f"256 -> 512: micrograd-rs {rust['wide512'] / rust['wide256']:.2f}x the time, "
          f"PyTorch {torch_ms['wide512'] / torch_ms['wide256']:.2f}x")
    print()


def main():
    if os.environ.get("COMPARE_WIDTHS", "0") == "1":
        compare_widths()
        return
    if os.environ.get("COMPARE_TASKS", "1") != "0":
        compare_tasks()
    X, y = load_moons()
    rust, torch_ms = float("inf"), float("inf")
    for _ in range(ROUNDS):
        rust = min(rust, rust_ms_per_step())
        torch_round, torch_loss = torch_ms_per_step(X, y)
        torch_ms = min(torch_ms, torch_round)
    micrograd_ms, micrograd_loss = micrograd_ms_per_step(X, y)
    print(f"step-0 loss: micrograd {micrograd_loss!r}, torch {torch_loss!r}")
    print(f"best of {ROUNDS} alternating rounds; each round is a median of {TORCH_RUNS} runs of {TORCH_STEPS} steps")
    print(f"{'engine':<36} {'ms/step':>10} {'vs micrograd-rs':>16}")
    rows = [
        ("micrograd-rs (cargo bench)", rust),
        ("PyTorch, float64, batched, 1 thread", torch_ms),
        (f"Python micrograd 0.1.0 ({MICROGRAD_STEPS} steps)", micrograd_ms),
    ]
    for name, ms in rows:
        print(f"{name:<36} {ms:>10.4f} {ms / rust:>15.1f}x")
    verdict = "met" if rust <= 0.1 * torch_ms else "missed"
    print(f"target micrograd-rs <= 0.1x PyTorch: {rust / torch_ms:.3f}x ({verdict})")


if __name__ == "__main__":
    main()
