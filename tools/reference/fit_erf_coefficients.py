#!/usr/bin/python3
"""Fits the polynomial coefficients used by src/DyCoke.Tensors/Cpu/Ops/ErrorFunction.cs.

Two pieces, both least-squares fits on Chebyshev nodes in 40-digit arithmetic (mpmath), monomial basis:
  |x| < 1:      erf(x) = x * A(x^2)                       A of degree 8 in u = x^2 on [0, 1]
  1 <= |x| < 6: erf(|x|) = 1 - exp(-x^2) * B(1/|x|)       B of degree 12 in s = 1/|x| on [1/6, 1]
B approximates the scaled complementary error function erfcx(t) = exp(t^2) erfc(t), which is smooth in 1/t.
Beyond |x| = 6, 1 - erf(|x|) < 3e-17, below double resolution, so |x| is clamped to 6. Prints C# array literals and the max abs error of the double-precision
evaluation against mpmath on a dense grid.

Run: /usr/bin/python3 tools/reference/fit_erf_coefficients.py   (needs mpmath and numpy)
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40


def fit(f, a, b, degree, nodes=400):
    """Least-squares monomial coefficients (lowest first) of f on `nodes` Chebyshev points of [a, b]."""
    a, b = mp.mpf(a), mp.mpf(b)
    xs = [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (k + mp.mpf(0.5)) / nodes) for k in range(nodes)]
    m = mp.matrix(nodes, degree + 1)
    y = mp.matrix(nodes, 1)
    for i, v in enumerate(xs):
        for j in range(degree + 1):
            m[i, j] = v ** j
        y[i] = f(v)
    c = mp.qr_solve(m, y)[0]
    return [float(c[j]) for j in range(degree + 1)]


def horner(c, v):
    r = 0.0
    for cj in reversed(c):
        r = r * v + cj
    return r


def small(u):
    if u == 0:
        return 2 / mp.sqrt(mp.pi)
    t = mp.sqrt(u)
    return mp.erf(t) / t


def scaled_erfc(s):
    t = 1 / s
    return mp.erfc(t) * mp.exp(t * t)


coef_a = fit(small, 0, 1, 8)
coef_b = fit(scaled_erfc, mp.mpf(1) / 6, 1, 12)


def erf_model(x):
    t = abs(x)
    if t < 1:
        return x * horner(coef_a, x * x)
    t = min(t, 6.0)
    return np.copysign(1.0 - np.exp(-t * t) * horner(coef_b, 1.0 / t), x)


grid = np.linspace(0, 7, 70001)
err = max(abs(erf_model(x) - float(mp.erf(x))) for x in grid)
for name, c in (("s_small", coef_a), ("s_large", coef_b)):
    print(f"private static readonly double[] {name} = [")
    for v in c:
        print(f"    {v!r},")
    print("];")
print(f"max |error| on [0, 7] (double evaluation): {err:.3e}")
