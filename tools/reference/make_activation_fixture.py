#!/usr/bin/python3
"""Writes tests/fixtures/gelu_softmax.json: PyTorch's GELU (erf and tanh forms) and softmax on seeded inputs.

gelu: x is a grid over [-10, 10] plus seeded randn * 4, float32; outputs of F.gelu(x) and F.gelu(x, approximate="tanh").
softmax: a seeded [5, 37] float32 matrix scaled by 30 (so the max shift matters) with one -inf entry per row, and
torch.softmax over the last dim. Flat row-major arrays of exact decimal doubles.

Run from the repository root: /usr/bin/python3 tools/reference/make_activation_fixture.py
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

SEED = 7
OUT = os.path.join("tests", "fixtures", "gelu_softmax.json")


def floats(t):
    return [float(v) for v in t.flatten().tolist()]


def main():
    g = torch.Generator().manual_seed(SEED)
    grid = torch.linspace(-10, 10, 401, dtype=torch.float32)
    x = torch.cat([grid, torch.randn(257, generator=g, dtype=torch.float32) * 4])
    s = torch.randn(5, 37, generator=g, dtype=torch.float32) * 30
    s[torch.arange(5), torch.arange(5) * 7] = float("-inf")
    fixture = {
        "description": "F.gelu (erf), F.gelu(approximate='tanh') on gelu_x; torch.softmax(softmax_x, -1), float32",
        "command": "/usr/bin/python3 tools/reference/make_activation_fixture.py",
        "torch_version": torch.__version__,
        "seed": SEED,
        "gelu_x": floats(x),
        "gelu_erf": floats(F.gelu(x)),
        "gelu_tanh": floats(F.gelu(x, approximate="tanh")),
        "softmax_shape": list(s.shape),
        "softmax_x": [v if v != float("-inf") else "-inf" for v in floats(s)],
        "softmax_y": floats(torch.softmax(s, dim=-1)),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT} (torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
