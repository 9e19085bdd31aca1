#!/usr/bin/python3
"""Writes tests/fixtures/rope_attention_small.json: seeded q/k/v, their NeoX-rotated values and attention outputs
computed with PyTorch on the CPU in fp32, for the DyCoke.Tensors RoPE / prefill / decode tests.

RoPE is written the way HF transformers' Qwen2 rotary embedding computes it (fp32 inv_freq from theta ** (2i/D),
fp32 angles, cos/sin of [angle, angle], q*cos + rotate_half(q)*sin). Attention uses torch's fused
scaled-dot-product attention (torch >= 2.0 public API; torch 1.13 ships it as the private
F._scaled_dot_product_attention), GQA by repeat_interleave of the kv heads. Scale is 1/sqrt(D).

Run from the repository root:  /usr/bin/python3 tools/reference/make_attention_fixture.py
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

THETA = 1000000.0
COMMAND = "/usr/bin/python3 tools/reference/make_attention_fixture.py"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "rope_attention_small.json")

# name, tokens T, heads H, kv heads Hkv, head dim D, first position (positions are first .. first + T - 1)
CASES = [
    ("gqa2_d16", 11, 4, 2, 16, 3),
    ("gqa7_d64_far", 7, 7, 1, 64, 30000),
    ("mha_d8", 5, 2, 2, 8, 0),
]


def rope_tables(positions, dim):
    """cos, sin [T, D] exactly as the HF Qwen2 rotary embedding builds them (fp32 throughout)."""
    exponents = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    inv_freq = 1.0 / (THETA ** exponents)
    angles = positions.float()[:, None] * inv_freq[None, :]
    doubled = torch.cat((angles, angles), dim=-1)
    return doubled.cos(), doubled.sin()


def swap_halves_negated(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotate(x, cos, sin):
    """x [T, heads, D]; cos, sin [T, D]."""
    return x * cos[:, None, :] + swap_halves_negated(x) * sin[:, None, :]


def sdpa(q, k, v, causal):
    """q [T, H, D], k/v [T, Hkv, D] -> (out [T, H, D], probabilities [H, T, T])."""
    group = q.shape[1] // k.shape[1]
    qh = q.permute(1, 0, 2)[None]
    kh = k.permute(1, 0, 2).repeat_interleave(group, dim=0)[None]
    vh = v.permute(1, 0, 2).repeat_interleave(group, dim=0)[None]
    if hasattr(F, "scaled_dot_product_attention"):
        out = F.scaled_dot_product_attention(qh, kh, vh, is_causal=causal)
        probs = None
    else:
        out, probs = F._scaled_dot_product_attention(qh, kh, vh, None, 0.0, True, causal)
        probs = probs[0]
    # Independent check of the fused op: explicit masked softmax in float64.
    scores = (qh.double() @ kh.double().transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if causal:
        t = q.shape[0]
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
    weights = scores.softmax(dim=-1)
    expected = weights @ vh.double()
    assert torch.allclose(out.double(), expected, atol=1e-6), "fused attention disagrees with the float64 check"
    if probs is None:
        probs = weights[0].float()
    return out[0].permute(1, 0, 2).contiguous(), probs


def flat(t):
    return [float("%.9g" % x) for x in t.reshape(-1).tolist()]


def make_case(name, t, h, hkv, d, first, generator):
    q = torch.rand(t, h, d, generator=generator) * 2 - 1
    k = torch.rand(t, hkv, d, generator=generator) * 2 - 1
    v = torch.rand(t, hkv, d, generator=generator) * 2 - 1
    positions = torch.arange(first, first + t, dtype=torch.int64)
    cos, sin = rope_tables(positions, d)
    q_rot, k_rot = rotate(q, cos, sin), rotate(k, cos, sin)
    out_causal, probs_causal = sdpa(q_rot, k_rot, v, causal=True)
    out_full, _ = sdpa(q_rot, k_rot, v, causal=False)
    # The last token's causal row is a decode step over the whole cache; mean over heads is DyCoke's score.
    last_mean_probs = probs_causal[:, -1, :].mean(dim=0)
    return {
        "name": name, "T": t, "H": h, "Hkv": hkv, "D": d,
        "positions": positions.tolist(),
        "q": flat(q), "k": flat(k), "v": flat(v),
        "q_rot": flat(q_rot), "k_rot": flat(k_rot),
        "out_causal": flat(out_causal), "out_full": flat(out_full),
        "last_mean_probs": flat(last_mean_probs),
    }


def main():
    generator = torch.Generator().manual_seed(20240601)
    cases = [make_case(*c, generator) for c in CASES]
    fixture = {
        "description": "NeoX RoPE (HF Qwen2 numerics) and scaled-dot-product attention, fp32 CPU; "
                       "layouts q [T, H, D], k/v [T, Hkv, D]; scale 1/sqrt(D); attention runs on the rotated q/k",
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "command": COMMAND,
        "theta": THETA,
        "cases": cases,
    }
    # One line per array keeps the file small and its diffs readable.
    header = {key: value for key, value in fixture.items() if key != "cases"}
    lines = ["{"] + ["  %s: %s," % (json.dumps(key), json.dumps(value)) for key, value in header.items()]
    lines.append('  "cases": [')
    for i, case in enumerate(cases):
        fields = ["    %s: %s" % (json.dumps(key), json.dumps(value)) for key, value in case.items()]
        lines.append("   {\n" + ",\n".join(fields) + "\n   }" + ("," if i + 1 < len(cases) else ""))
    lines += ["  ]", "}"]
    text = "\n".join(lines) + "\n"
    json.loads(text)
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
