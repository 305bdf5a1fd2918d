"""What a notebook shows and the fast paths: `_repr_html_` is the player
of `val --html` in an iframe; `forward_rows` is calling the model on each
row, to the bit; `train` is `micrograd train`'s loop."""

import html
import json
import os
import pathlib
import subprocess

import pytest

import demo
import micrograd_rs
from micrograd_rs.engine import Value
from micrograd_rs.nn import MLP


def lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def test_a_value_shows_as_the_player():
    o = lecture_neuron()
    shown = o._repr_html_()
    assert shown.startswith("<iframe srcdoc=\"") and shown.endswith("</iframe>")
    page = html.unescape(shown.split('srcdoc="', 1)[1].split('" style=', 1)[0])
    assert page == micrograd_rs.page(o, "backprop, step by step")
    assert 'id="graph-wide"' in page and "x1" in page
    # the page the browser check opens
    # the pages the browser check opens: the player, and a cell showing it
    out = os.environ.get("MICROGRAD_NOTEBOOK_PAGES")
    if out:
        pathlib.Path(out, "notebook.html").write_text(page)
        cell = f"<!DOCTYPE html><title>a notebook cell</title><body>{shown}</body>"
        pathlib.Path(out, "notebook-cell.html").write_text(cell)
    # too big to draw inline: the plain repr stands
    big = sum(Value(float(i)) * i for i in range(1500))
    assert big._repr_html_() is None


def test_forward_rows_is_calling_the_model_on_each_row():
    X, _ = demo.moons()
    model = MLP(2, [16, 16, 1])
    one_by_one = [model(row).data for row in X]
    together = [score.data for score in model.forward_rows(X)]
    assert together == one_by_one
    wide = MLP(2, [4, 3])
    assert [[v.data for v in out] for out in wide.forward_rows(X[:5])] == [
        [v.data for v in wide(row)] for row in X[:5]
    ]


def test_train_is_micrograd_trains_loop():
    X, y = demo.moons()
    config = {"model": {"hidden": [16, 16]}, "steps": 50, "seed": 1, "validation_split": 0.2}
    trained = micrograd_rs.train(X, y, config)
    assert len(trained["losses"]) == 50 and trained["losses"][-1] < trained["losses"][0]
    model = json.loads(trained["model"])
    assert model["features"] == ["x1", "x2"] and model["metrics"]["steps"] == 50
    assert trained["metrics"]["train"]["accuracy"] > 0.8
    # its predictions are `micrograd predict`'s: the class names here
    predicted = micrograd_rs.predict(trained["model"], X)
    right = sum(int(p) == t for p, t in zip(predicted, y)) / len(y)
    assert set(predicted) == {"-1", "1"} and abs(right - trained["metrics"]["train"]["accuracy"]) < 0.1
    regression = micrograd_rs.train(X, [a - b for a, b in X], {"model": {"hidden": [8]}, "steps": 200})
    values = micrograd_rs.predict(regression["model"], [[1.0, 0.5]])
    assert isinstance(values[0], float) and abs(values[0] - 0.5) < 0.2
    with pytest.raises(ValueError, match="row 0 has 1 numbers; the model takes 2 \\(x1, x2\\)"):
        micrograd_rs.predict(trained["model"], [[1.0]])
    with pytest.raises(ValueError, match="line 1 column 2"):
        micrograd_rs.predict("not json", X)
    with pytest.raises(ValueError, match="at `steps`"):
        micrograd_rs.train(X, y, {"steps": "many"})
    with pytest.raises(ValueError, match="one target per row"):
        micrograd_rs.train(X, y[:10])
    # the command line makes the same model file from the same rows
    binary = os.environ.get("MICROGRAD_BIN")
    if not binary:
        pytest.skip("MICROGRAD_BIN names the micrograd binary to compare with")
    work = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"train-{os.getpid()}"
    work.mkdir(exist_ok=True)
    (work / "config.json").write_text(json.dumps({**config, "dataset": str(demo.MOONS)}))
    subprocess.run([binary, "train", "--quiet", "--config", str(work / "config.json"), "--out", str(work)], check=True)
    assert (work / "model.json").read_text() == trained["model"]
