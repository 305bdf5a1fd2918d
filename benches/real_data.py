"""Five public datasets, and scikit-learn's MLP on them with its defaults.

    python benches/real_data.py make    # writes data/real/<name>-train.csv and -test.csv
    python benches/real_data.py score   # scikit-learn's test scores on those files

`make` takes scikit-learn's bundled copies of iris, wine, breast cancer,
diabetes and digits and holds out 25% of each as a test file (stratified for
the classification sets, `random_state=0`). Everyone scores on the same files.

`score` fits `MLPClassifier` / `MLPRegressor` with every setting at its
default but `random_state`, once per seed, on the train file, and prints the
test accuracy (percent) or R^2 per seed and their mean, as CSV. scikit-learn
does not scale features by default; its defaults are what a user runs first.
`benches/real_data.sh` runs micrograd-rs beside it.
"""

import csv
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "real"
SEEDS = range(5)

# name, loader, target column, whether it is a classification set
SETS = [
    ("iris", datasets.load_iris, "species", True),
    ("wine", datasets.load_wine, "cultivar", True),
    ("breast_cancer", datasets.load_breast_cancer, "diagnosis", True),
    ("diabetes", lambda: datasets.load_diabetes(scaled=False), "progression", False),
    ("digits", datasets.load_digits, "digit", True),
]


def column_name(name):
    keep = "".join(c if c.isalnum() else "_" for c in name.lower().replace("(cm)", ""))
    return "_".join(part for part in keep.split("_") if part)


def make():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, load, target, classify in SETS:
        bunch = load()
        x, y = bunch.data, bunch.target
        features = [column_name(f) for f in bunch.feature_names] if name != "digits" else [
            f"pixel_{i // 8}_{i % 8}" for i in range(64)
        ]
        if classify and name != "digits":
            labels = [str(bunch.target_names[k]) for k in y]
        else:
            labels = [f"{v:g}" for v in y]
        x_train, x_test, y_train, y_test = train_test_split(
            x, labels, test_size=0.25, random_state=0, stratify=labels if classify else None
        )
        for part, xs, ys in [("train", x_train, y_train), ("test", x_test, y_test)]:
            with open(OUT / f"{name}-{part}.csv", "w", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(features + [target])
                for row, label in zip(xs, ys):
                    writer.writerow([f"{v:g}" for v in row] + [label])
        print(f"{name}: {len(y_train)} train rows, {len(y_test)} test rows, {x.shape[1]} features")


def read(name, part):
    with open(OUT / f"{name}-{part}.csv") as f:
        rows = list(csv.reader(f))[1:]
    x = np.array([[float(v) for v in row[:-1]] for row in rows])
    return x, [row[-1] for row in rows]


def score():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    print("dataset,metric," + ",".join(f"seed_{s}" for s in SEEDS) + ",mean")
    for name, _, _, classify in SETS:
        x_train, y_train = read(name, "train")
        x_test, y_test = read(name, "test")
        scores = []
        for seed in SEEDS:
            if classify:
                model = MLPClassifier(random_state=seed).fit(x_train, y_train)
                scores.append(100 * accuracy_score(y_test, model.predict(x_test)))
            else:
                y_train_f = np.array([float(v) for v in y_train])
                y_test_f = np.array([float(v) for v in y_test])
                model = MLPRegressor(random_state=seed).fit(x_train, y_train_f)
                scores.append(r2_score(y_test_f, model.predict(x_test)))
        metric = "accuracy_percent" if classify else "r2"
        cells = ",".join(f"{s:.4f}" for s in scores)
        print(f"{name},{metric},{cells},{np.mean(scores):.4f}")


if __name__ == "__main__":
    {"make": make, "score": score}[sys.argv[1] if len(sys.argv) > 1 else "score"]()
