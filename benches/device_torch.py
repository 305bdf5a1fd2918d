"""The device machine's PyTorch side of benches/device.sh: the engine
bench's tasks (benches/compare.py's data and steps) in PyTorch, float64, on
the CPU with one thread and with THREADS, and on CUDA when there is a GPU.

    python3 benches/device_torch.py THREADS
"""

import statistics
import sys
import time

import torch

from compare import TASKS, WIDE_TASKS, task_data

TASKS = TASKS + [("moons50000", 50000, [2, 32, 32, 1], "hinge")] + WIDE_TASKS


def ms_per_step(name, rows, sizes, loss_kind, device, steps):
    X, y = task_data(torch, name, rows)
    X, y = X.to(device), y.to(device)
    gen = torch.Generator().manual_seed(2)
    params = []
    for nin, nout in zip(sizes, sizes[1:]):
        w = 2 * torch.rand(nout, nin, generator=gen, dtype=torch.float64) - 1
        params += [w.to(device).requires_grad_(), torch.zeros(nout, dtype=torch.float64, device=device, requires_grad=True)]

    def step():
        h = X
        for i in range(0, len(params), 2):
            h = h @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                h = torch.relu(h)
        if loss_kind == "hinge":
            loss = torch.relu(1 - y * h.squeeze(1)).mean() + 1e-4 * sum((p * p).sum() for p in params)
        else:
            loss = torch.nn.functional.cross_entropy(h, y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad
        return loss

    def run():
        start = time.perf_counter()
        for _ in range(steps):
            loss = step()
        loss.item()  # waits for the GPU
        return (time.perf_counter() - start) * 1e3 / steps

    step()
    run()
    return statistics.median(run() for _ in range(5))


def main():
    most = int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads()
    devices = [("cpu", 1), ("cpu", most)]
    if torch.cuda.is_available():
        devices.append(("cuda", most))
        print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}")
    else:
        print(f"torch {torch.__version__}, no GPU")
    for name, rows, sizes, loss_kind in TASKS:
        steps = 10 if name.startswith("wide") else 20 if rows > 10000 else 100
        for device, threads in devices:
            torch.set_num_threads(threads)
            ms = ms_per_step(name, rows, sizes, loss_kind, device, steps)
            label = f"{device} {threads}" if device == "cpu" else device
            print(f"torch_ms {name} {label} {ms:.4f}")


if __name__ == "__main__":
    main()
