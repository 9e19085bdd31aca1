#!/usr/bin/python3
"""Writes tests/fixtures/bilinear_27x27_to_14x14.json: PyTorch's bilinear resize of a seeded [1, 3, 27, 27] input.

The case LLaVA-OneVision uses to pool a 27x27 SigLIP feature grid to 14x14:
F.interpolate(x, size=(14, 14), mode="bilinear", align_corners=False), no antialias. Arrays are flat NCHW float32
values written as exact decimal doubles. DyCoke.Tensors.Tests BilinearResizeTests permutes them to channels-last.

Run from the repository root: /usr/bin/python3 tools/reference/make_bilinear_fixture.py
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

SEED = 20240527
OUT = os.path.join("tests", "fixtures", "bilinear_27x27_to_14x14.json")


def main():
    g = torch.Generator().manual_seed(SEED)
    x = torch.randn(1, 3, 27, 27, generator=g, dtype=torch.float32)
    y = F.interpolate(x, size=(14, 14), mode="bilinear", align_corners=False)
    fixture = {
        "description": "F.interpolate(x, size=(14, 14), mode='bilinear', align_corners=False); x = randn [1, 3, 27, 27] (NCHW, float32)",
        "command": "/usr/bin/python3 tools/reference/make_bilinear_fixture.py",
        "torch_version": torch.__version__,
        "seed": SEED,
        "input_shape": list(x.shape),
        "input": [float(v) for v in x.flatten().tolist()],
        "output_shape": list(y.shape),
        "output": [float(v) for v in y.flatten().tolist()],
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT} (torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
