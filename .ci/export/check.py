"""Exported models, read by other runtimes, against `micrograd predict`.

    python .ci/export/check.py MICROGRAD_BINARY WORKDIR

For every shipped config and the five data/real sets: train (a short run:
the shapes, tasks and scalings matter here, not the accuracy), export to
ONNX (float64 and float32) and safetensors, predict the test rows with
onnxruntime and with numpy on the safetensors weights, and compare with
`micrograd predict`: float64 within 1e-12 (relative; absolute below 1)
and the same class for every row. onnx.checker passes on every file. Prints
the largest difference per dataset; exits non-zero on a failure."""

import csv
import json
import pathlib
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
from safetensors import safe_open
from safetensors.numpy import load_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
binary, work = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2]).resolve()
work.mkdir(parents=True, exist_ok=True)
failures = []


def micrograd(*args):
    done = subprocess.run([str(binary), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"micrograd {' '.join(args)}: {done.stderr}")
    return done.stdout


def numpy_forward(path, X):
    """The safetensors weights, as `nn.Sequential` names them, run in numpy."""
    meta = safe_open(str(path), "np").metadata()
    tensors = load_file(str(path))
    scaling = json.loads(meta["standardization"]) if "standardization" in meta else None
    h = X if scaling is None else (X - np.array(scaling["mean"])) / np.array(scaling["std"])
    index = 0
    for layer in json.loads(meta["layers"]):
        h = h @ tensors[f"{index}.weight"].T + tensors[f"{index}.bias"]
        act = layer["activation"]
        h = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
             "sigmoid": lambda z: 1 / (1 + np.exp(-z))}.get(act, lambda z: z)(h)
        index += 1 if act == "linear" else 2
    return h




def compare(name, model, out, ours, exact=True):
    """The largest difference of `out` (rows x outputs) from predict's
    scores, and the rows whose class differs."""
    task, classes = model["task"], model.get("classes")
    worst, flips = 0.0, 0
    for row, (prediction, score) in zip(out, ours):
        if task == "regression":
            theirs_score, theirs_class = row[0], None
        elif task == "binary":
            theirs_score, theirs_class = row[0], classes[1] if row[0] > 0 else classes[0]
        else:
            k = int(np.argmax(row))
            theirs_score, theirs_class = row[k], classes[k]
        worst = max(worst, abs(theirs_score - score) / max(abs(score), 1.0))
        if theirs_class is not None and theirs_class != prediction:
            flips += 1
    if exact and (worst > 1e-12 or flips):
        failures.append(f"{name}: difference {worst:.1e}, {flips} rows of another class")
    return worst, flips


def check(name, model_path, test_csv):
    model = json.loads(model_path.read_text())
    features = model["features"]
    with open(test_csv) as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(r[c]) for c in features] for r in rows])
    out = work / f"{name}-predictions.csv"
    micrograd("predict", "--model", str(model_path), "--data", str(test_csv), "--out", str(out))
    with open(out) as f:
        # `micrograd predict`'s prediction and score for each row
        ours = [(r["prediction"], float(r["score"])) for r in csv.DictReader(f)]
    results = []
    for precision in ["f64", "f32"]:
        onnx_path = work / f"{name}-{precision}.onnx"
        micrograd("export", "--model", str(model_path), "--to", str(onnx_path), *(["--f32"] if precision == "f32" else []))
        onnx.checker.check_model(onnx.load(str(onnx_path)), full_check=True)
        session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        dtype = np.float64 if precision == "f64" else np.float32
        got = session.run(None, {"features": X.astype(dtype)})
        if model["task"] == "multiclass":
            probabilities = got[1]
            if not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5):
                failures.append(f"{name}: probabilities do not sum to 1")
        results.append(("onnx " + precision, *compare(f"{name} onnx {precision}", model, got[0].astype(np.float64), ours, precision == "f64")))
    st_path = work / f"{name}.safetensors"
    micrograd("export", "--model", str(model_path), "--to", str(st_path))
    results.append(("safetensors", *compare(f"{name} safetensors", model, numpy_forward(st_path, X), ours)))
    shown = "; ".join(f"{what} {worst:.1e}" + (f" ({flips} rows of another class)" if flips else "")
                      for what, worst, flips in results)
    print(f"export check: {name} ({model['task']}, {len(rows)} test rows): largest difference {shown}")


for config in sorted((ROOT / "configs").glob("*.json")):
    name = config.stem
    out = work / name
    micrograd("train", "--quiet", "--config", str(config), "--out", str(out), "--steps", "30")
    settings = json.loads(config.read_text())
    model_file = settings.get("outputs", {}).get("model", "model.json")
    data = settings.get("dataset")
    test_csv = (config.parent / data) if data else ROOT / "data" / "micrograd_demo_moons.csv"
    check(name, out / model_file, test_csv)

for train_csv in sorted((ROOT / "data" / "real").glob("*-train.csv")):
    name = "real-" + train_csv.name.removesuffix("-train.csv")
    out = work / name
    micrograd("train", "--quiet", "--data", str(train_csv), "--out", str(out), "--steps", "30")
    check(name, out / "model.json", train_csv.with_name(train_csv.name.replace("-train", "-test")))

if failures:
    print("export check failed:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("export check: every exported model agrees with micrograd predict")
