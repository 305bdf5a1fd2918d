"""micrograd's own test/test_engine.py, with the numbers PyTorch gives
(float64) written in, since PyTorch is not installed for the tests."""

from micrograd_rs.engine import Value


def test_sanity_check():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    # PyTorch: y = -20.0, x.grad = 46.0
    assert ymg.data == -20.0
    assert xmg.grad == 46.0


def test_more_ops():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    # PyTorch (float64): g = 24.70408163265306, a.grad = 138.83381924198252,
    # b.grad = 645.5772594752186; micrograd asks for 1e-6, these are exact
    tol = 1e-6
    assert abs(gmg.data - 24.70408163265306) < tol
    assert abs(amg.grad - 138.83381924198252) < tol
    assert abs(bmg.grad - 645.5772594752186) < tol
    assert (gmg.data, amg.grad, bmg.grad) == (24.70408163265306, 138.83381924198252, 645.5772594752186)


def test_the_lectures_other_ops():
    x = Value(0.5)
    for op, want, dwant in [
        (lambda v: v.tanh(), 0.46211715726000974, 0.7864477329659275),
        (lambda v: v.exp(), 1.6487212707001282, 1.6487212707001282),
        (lambda v: v.log(), -0.6931471805599453, 2.0),
        (lambda v: v.sigmoid(), 0.6224593312018546, 0.2350037122015945),
    ]:
        x.grad = 0
        y = op(x)
        y.backward()
        assert abs(y.data - want) < 1e-15 and abs(x.grad - dwant) < 1e-15


def test_values_read_and_write_as_micrograds():
    a = Value(2.0, label="a")
    b = Value(-3.0)
    b.label = "b"
    c = a * b
    assert repr(c) == "Value(data=-6.0, grad=0.0)"
    assert repr(Value(1e-7)) == "Value(data=1e-07, grad=0.0)"
    assert c._op == "*" and c._prev == {a, b}
    assert (a + b)._op == "+" and (a**2)._op == "**2" and a.relu()._op == "ReLU"
    assert a.label == "a" and b.label == "b" and c.label == ""
    c.backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    # the demo's update and zero_grad write both
    a.data -= 0.1 * a.grad
    a.grad = 0
    assert (a.data, a.grad) == (2.3, 0.0)
    # numbers on either side, numpy's too
    assert (3 - a).data == 3 - 2.3 and (1 / b).data == -1 / 3 and (-a).data == -2.3
    try:
        import numpy as np
    except ImportError:
        return
    assert (np.int64(-1) * b).data == 3.0 and (b * np.float64(2)).data == -6.0
