"""Bad input is a Python exception with a clear message, as micrograd's
Python would raise it; never a crash of the interpreter."""

import subprocess
import sys

import pytest

from micrograd_rs.engine import Value
from micrograd_rs.nn import MLP, Layer, Neuron


def test_a_string_where_a_number_goes():
    with pytest.raises(TypeError, match="Value's data must be a number, not str"):
        Value("1.0")
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) + "2"
    with pytest.raises(TypeError, match="can't multiply sequence"):
        "2" * Value(1.0)
    v = Value(1.0)
    with pytest.raises(TypeError, match="data must be a number, not list"):
        v.data = [1]
    with pytest.raises(TypeError, match="grad must be a number"):
        v.grad = None
    with pytest.raises(TypeError, match="only supporting int/float powers"):
        v ** Value(2.0)
    with pytest.raises(OverflowError):
        Value(10**400)


def test_what_pythons_floats_refuse():
    with pytest.raises(ValueError, match="fractional power"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        2 / Value(0.0)
    with pytest.raises(OverflowError):
        Value(1000.0).exp()
    with pytest.raises(ValueError, match="log"):
        Value(0.0).log()
    # what they allow, we allow
    assert (Value(-8.0) ** 2).data == 64.0 and (Value(-2.0) ** -1).data == -0.5


def test_a_model_called_with_the_wrong_inputs():
    model = MLP(2, [4, 1])
    with pytest.raises(ValueError, match="this MLP takes 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="an input must be a number, not str"):
        model([1.0, "x"])
    with pytest.raises(TypeError, match="list of numbers or Values"):
        model(1.0)
    with pytest.raises(ValueError, match="takes 3 inputs, got 1"):
        Neuron(3)([1.0])
    with pytest.raises(ValueError, match="takes 2 inputs"):
        Layer(2, 3)([])
    with pytest.raises(ValueError, match="row 1 has 1 numbers; this MLP takes 2"):
        model.forward_rows([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError):
        MLP(2, "16")


def test_a_value_used_on_another_thread_is_an_error_not_a_crash():
    # each thread has its own tape: a value is its thread's
    code = """
import threading
from micrograd_rs.engine import Value
v = Value(1.0)
errors = []
def use():
    try:
        v + 1
    except BaseException as e:
        errors.append(type(e).__name__)
t = threading.Thread(target=use); t.start(); t.join()
print(errors)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() != "[]", "using it on another thread raised"
