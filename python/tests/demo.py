"""micrograd's demo notebook (demo.ipynb), its training loop as written
there, for any implementation of micrograd's API: `run(Value, MLP, steps)`
gives each step's loss and accuracy (unless not asked to `keep` them), and
calls `on_step(k, total_loss)` after each step when given. The moons are the notebook's own
(`make_moons(n_samples=100, noise=0.1)` after `np.random.seed(1337)`),
read from data/micrograd_demo_moons.csv so that no scikit-learn is needed."""

import csv
import pathlib
import random

MOONS = pathlib.Path(__file__).resolve().parents[2] / "data" / "micrograd_demo_moons.csv"


def moons():
    with open(MOONS) as f:
        rows = list(csv.DictReader(f))
    X = [[float(r["x1"]), float(r["x2"])] for r in rows]
    y = [int(r["y"]) for r in rows]
    return X, y


def run(Value, MLP, steps=100, on_step=None, keep=True):
    X, y = moons()
    random.seed(1337)
    model = MLP(2, [16, 16, 1])  # 2-layer neural network

    # loss function
    def loss(batch_size=None):
        Xb, yb = X, y
        inputs = [list(map(Value, xrow)) for xrow in Xb]

        # forward the model to get scores
        scores = list(map(model, inputs))

        # svm "max-margin" loss
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    trajectory = []
    for k in range(steps):
        # forward
        total_loss, acc = loss()

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad

        if keep:
            trajectory.append((total_loss.data, acc))
        if on_step:
            on_step(k, total_loss)
    return trajectory
