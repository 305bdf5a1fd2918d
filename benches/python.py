"""The Python package against Python micrograd 0.1.0 and PyTorch, in one run.

    python benches/python.py [--micrograd-steps N] [--rounds R]

1. micrograd's demo notebook, its training loop as written there (the
   loop in python/tests/demo.py), imports changed: our package's time per
   step over 100 steps, against micrograd 0.1.0's over its first N steps
   (default 10; the demo's 100 take it minutes). Best of R rounds.
2. The demo's model, 2-16-16-1 on its 100 moons: one forward pass over every
   row, `MLP.forward_rows` against PyTorch (float64, one thread, and as many
   threads as it likes) with the same weights; best of many repeats.

Needs `pip install ./python micrograd==0.1.0`; PyTorch is optional.
"""

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python" / "tests"))
import demo  # noqa: E402


def per_step(Value, MLP, steps, rounds):
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        demo.run(Value, MLP, steps)
        best = min(best, (time.perf_counter() - began) / steps)
    return best


def best_of(fn, repeats):
    fn()
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--micrograd-steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import micrograd.engine
    import micrograd.nn
    from micrograd_rs.engine import Value
    from micrograd_rs.nn import MLP

    ours = per_step(Value, MLP, 100, args.rounds)
    theirs = per_step(micrograd.engine.Value, micrograd.nn.MLP, args.micrograd_steps, 1)
    print(f"demo loop, a step: micrograd_rs {ours * 1e3:.3f} ms, micrograd 0.1.0 {theirs * 1e3:.0f} ms"
          f" ({args.micrograd_steps} steps): {theirs / ours:.0f}x")

    X, _ = demo.moons()
    model = MLP(2, [16, 16, 1])
    rows = best_of(lambda: model.forward_rows(X), 200)
    print(f"forward, 100 rows, 2-16-16-1: micrograd_rs forward_rows {rows * 1e6:.0f} us")
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: no comparison")
        return
    torch.set_default_dtype(torch.float64)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16),
                              torch.nn.ReLU(), torch.nn.Linear(16, 1))
    with torch.no_grad():
        for linear, layer in zip([net[0], net[2], net[4]], model.layers):
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons]))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons]))
    Xt = torch.tensor(X)
    same = max(abs(a.data - b) for a, b in zip(model.forward_rows(X), net(Xt)[:, 0].tolist()))
    threads = torch.get_num_threads()
    for count in sorted({1, threads}):
        torch.set_num_threads(count)
        grad = best_of(lambda: net(Xt), 200)
        with torch.no_grad():
            plain = best_of(lambda: net(Xt), 200)
        print(f"forward, 100 rows, 2-16-16-1: PyTorch {torch.__version__} {count} thread(s): "
              f"{grad * 1e6:.0f} us with autograd, {plain * 1e6:.0f} us under no_grad; "
              f"forward_rows {grad / rows:.1f}x and {plain / rows:.1f}x faster "
              f"(largest difference {same:.1e})")


if __name__ == "__main__":
    main()
