#!/usr/bin/env python3
"""Compares two reference fixtures stage by stage (numpy only): for every stage both hold, on the rows both
stored, the largest absolute difference and that difference relative to the largest |value| of the second
(the reference); then greedy tokens and forced-decode top-1 ids. Exit status 1 when a stage exceeds --tolerance
(relative) or the tokens differ, so it can gate a run on the GPU host, e.g.

  python3 tools/reference/compare_fixtures.py tests/fixtures/hf_demo_fp32 tests/fixtures/llava_demo
"""
import argparse
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ inside the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_io as rio  # noqa: E402


def load(directory):
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    tensors = rio.read_safetensors(os.path.join(directory, manifest["tensors_file"]))
    return manifest, tensors


def stored_rows(stage, tensor):
    """{row index in the [-1, last dim] view: stored row} for one stage."""
    flat = tensor.reshape(-1, tensor.shape[-1]) if tensor.ndim > 1 else tensor.reshape(1, -1)
    indices = stage["rows"] if stage["rows"] is not None else range(flat.shape[0])
    return dict(zip(indices, flat))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("candidate")
    parser.add_argument("reference")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    (ma, ta), (mb, tb) = load(args.candidate), load(args.reference)
    if ma["input_ids"] != mb["input_ids"] or ma["frames"]["formula"] != mb["frames"]["formula"]:
        print("inputs differ (input_ids or frame formula): the fixtures are not comparable")
        return 1
    ok = True
    stages_b = {s["name"]: s for s in mb["stages"]}
    print("%-22s %8s %12s %12s" % ("stage", "rows", "max_abs", "rel_max"))
    for stage in ma["stages"]:
        name = stage["name"]
        if name not in stages_b:
            continue
        if stage["shape"] != stages_b[name]["shape"]:
            print("%-22s shape %s vs %s" % (name, stage["shape"], stages_b[name]["shape"]))
            ok = False
            continue
        rows_a, rows_b = stored_rows(stage, ta[name]), stored_rows(stages_b[name], tb[name])
        common = sorted(set(rows_a) & set(rows_b))
        a = np.stack([rows_a[i] for i in common]).astype(np.float64)
        b = np.stack([rows_b[i] for i in common]).astype(np.float64)
        diff = float(np.abs(a - b).max())
        rel = diff / max(float(np.abs(b).max()), 1e-30)
        flag = "" if rel <= args.tolerance else "  <-- over %.0e" % args.tolerance
        ok &= rel <= args.tolerance
        print("%-22s %8d %12.3e %12.3e%s" % (name, len(common), diff, rel, flag))
    ga, gb = ma["greedy"]["tokens"], mb["greedy"]["tokens"]
    n = min(len(ga), len(gb))
    same = ga[:n] == gb[:n]
    print("greedy tokens: %s over the first %d (%s vs %s)" % ("equal" if same else "DIFFERENT", n, ga[:n], gb[:n]))
    fa = [s["ids"][0] for s in ma["forced"].get("top2_per_step", [])]
    fb = [s["ids"][0] for s in mb["forced"].get("top2_per_step", [])]
    if fa and fb:
        m = min(len(fa), len(fb))
        print("forced top-1: %s over %d steps" % ("equal" if fa[:m] == fb[:m] else "DIFFERENT", m))
        same &= fa[:m] == fb[:m]
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main())
