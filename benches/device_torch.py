"""The device machine's PyTorch side of benches/device.sh: the engine
bench's tasks (benches/compare.py's data, steps and step) in PyTorch,
float64, on the CPU with one thread and with THREADS, and on CUDA when
there is a GPU.

    python3 benches/device_torch.py THREADS
"""

import sys

import torch

from compare import TASKS, WIDE_TASKS, torch_task_ms

TASKS = TASKS + [("moons50000", 50000, [2, 32, 32, 1], "hinge")] + WIDE_TASKS


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
            ms = torch_task_ms(name, rows, sizes, loss_kind, threads, steps, device)
            label = f"{device} {threads}" if device == "cpu" else device
            print(f"torch_ms {name} {label} {ms:.4f}")


if __name__ == "__main__":
    main()
