#!/usr/bin/python3
"""PyTorch CPU baseline for the DyCoke.Bench model verb (issue 4, item 6): times the same model stages as the C# side
on the same checkpoint, in fp32 (the F16 weights are widened once at load), with torch.inference_mode().

Stages: Qwen2 prefill of N tokens (one sequence, embedding lookup to last-row logits, K/V written to a preallocated
cache), one decode step with N cached tokens (cache filled with random K/V: the step's cost does not depend on the
values), and one SigLIP frame (conv patch embedding, positions, every encoder layer).

The math is tools/reference/llava_torch.py's (its rms_norm, rope_tables, apply_rope, patch_embed); the pieces where
that file is written for clarity rather than speed use torch's fused equivalents, so the baseline is not handicapped:
F.layer_norm and F.gelu(approximate="tanh") for SigLIP, GQA attention by grouping query heads over their kv head
instead of repeat_interleave, and a preallocated KV cache instead of torch.cat per step.

A worker driven over stdin/stdout, so the C# side can alternate its own reps with torch's (both see the same load):
  /usr/bin/python3 bench/torch_model.py --checkpoint DIR --threads 2 [--slots 6301]
prints {"torch", "threads", "load_s"} once loaded, then per request line "STAGE TOKENS WARMUP REPS" (STAGE = prefill,
decode or siglip; TOKENS = prompt length, cached tokens, or ignored) prints {"stage", "tokens", "samples_ms"}.
"quit" or end of input stops it.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ inside the repository
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "reference"))
import llava_torch as lt  # noqa: E402
import reference_io as rio  # noqa: E402


class Qwen2:
    """The Qwen2 LM over a weight dict, with per-layer K/V caches [Hkv, S, D]."""

    def __init__(self, w, dims, slots):
        self.w, self.dims = w, dims
        self.group = dims.heads // dims.kv_heads
        self.scale = dims.head_dim ** -0.5
        self.head = lt.head_matrix(w, dims)
        self.k_cache = [torch.zeros(dims.kv_heads, slots, dims.head_dim) for _ in range(dims.layers)]
        self.v_cache = [torch.zeros(dims.kv_heads, slots, dims.head_dim) for _ in range(dims.layers)]

    def fill_cache_random(self, count, seed):
        g = torch.Generator().manual_seed(seed)
        for k, v in zip(self.k_cache, self.v_cache):
            k[:, :count].uniform_(-1, 1, generator=g)
            v[:, :count].uniform_(-1, 1, generator=g)

    def forward(self, ids, start):
        """ids [T] at positions start .. start + T - 1; K/V go to cache rows start.., attention reads rows 0 .. start
        + T - 1 (causal among the new tokens). Returns logits [V] of the last token."""
        d = self.dims
        t = ids.shape[0]
        x = self.w[lt.TEXT + "embed_tokens.weight"][ids]  # [T, H]
        positions = torch.arange(start, start + t, dtype=torch.int64)
        cos, sin = lt.rope_tables(positions, d.head_dim, d.theta, x.dtype)  # [T, D]
        mask = None
        if t > 1:  # causal among the fresh tokens; cached ones (start > 0) are all visible
            mask = torch.full((t, start + t), float("-inf")).triu_(start + 1)  # [T, Tk]
        for i in range(d.layers):
            x = self.layer(x, i, start, cos, sin, mask)
        normed = lt.rms_norm(x, self.w[lt.TEXT + "norm.weight"], d.eps)  # [T, H], every row, as the C# side
        return F.linear(normed[-1], self.head)  # [V]

    def layer(self, x, i, start, cos, sin, mask):
        d, w = self.dims, self.w
        p = lt.TEXT + "layers.%d." % i
        t = x.shape[0]
        h = lt.rms_norm(x, w[p + "input_layernorm.weight"], d.eps)

        def project(name, heads):  # [T, H] -> [heads, T, D]
            y = F.linear(h, w[p + "self_attn.%s.weight" % name], w[p + "self_attn.%s.bias" % name])
            return y.view(t, heads, d.head_dim).transpose(0, 1)

        q = lt.apply_rope(project("q_proj", d.heads), cos, sin)  # [Hq, T, D]
        k = lt.apply_rope(project("k_proj", d.kv_heads), cos, sin)  # [Hkv, T, D]
        v = project("v_proj", d.kv_heads)  # [Hkv, T, D]
        self.k_cache[i][:, start:start + t] = k
        self.v_cache[i][:, start:start + t] = v
        keys = self.k_cache[i][:, :start + t]  # [Hkv, Tk, D] view
        values = self.v_cache[i][:, :start + t]  # [Hkv, Tk, D] view
        # Query head h reads kv head h // group: group the query heads of each kv head into its rows.
        qg = q.reshape(d.kv_heads, self.group * t, d.head_dim)  # [Hkv, group*T, D]
        scores = torch.matmul(qg, keys.transpose(1, 2)).mul_(self.scale)  # [Hkv, group*T, Tk]
        if mask is not None:
            scores.view(d.kv_heads, self.group, t, -1).add_(mask)
        out = torch.matmul(scores.softmax(dim=-1), values)  # [Hkv, group*T, D]
        out = out.view(d.heads, t, d.head_dim).transpose(0, 1).reshape(t, d.heads * d.head_dim)  # [T, Hq*D]
        x = x + F.linear(out, w[p + "self_attn.o_proj.weight"])
        h = lt.rms_norm(x, w[p + "post_attention_layernorm.weight"], d.eps)
        gate = F.silu(F.linear(h, w[p + "mlp.gate_proj.weight"]))
        return x + F.linear(gate * F.linear(h, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"])


def siglip(pixels, w, dims):
    """[F, 3, S, S] -> [F, P, Cv]: llava_torch's patch embedding, then every pre-LN encoder layer."""
    x = lt.patch_embed(pixels, w, dims)
    frames, patches, width = x.shape
    heads = dims.vision_heads
    scale = (width // heads) ** -0.5
    for i in range(dims.vision_layers):
        p = lt.VISION + "encoder.layers.%d." % i
        h = F.layer_norm(x, (width,), w[p + "layer_norm1.weight"], w[p + "layer_norm1.bias"], dims.vision_eps)

        def project(name):  # [F, P, Cv] -> [F, heads, P, D]
            y = F.linear(h, w[p + "self_attn.%s.weight" % name], w[p + "self_attn.%s.bias" % name])
            return y.view(frames, patches, heads, width // heads).transpose(1, 2)

        q, k, v = project("q_proj"), project("k_proj"), project("v_proj")
        scores = torch.matmul(q, k.transpose(2, 3)).mul_(scale)  # [F, heads, P, P]
        out = torch.matmul(scores.softmax(dim=-1), v).transpose(1, 2).reshape(frames, patches, width)
        x = x + F.linear(out, w[p + "self_attn.out_proj.weight"], w[p + "self_attn.out_proj.bias"])
        h = F.layer_norm(x, (width,), w[p + "layer_norm2.weight"], w[p + "layer_norm2.bias"], dims.vision_eps)
        h = F.gelu(F.linear(h, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"]), approximate="tanh")
        x = x + F.linear(h, w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
    return x


def timed(call, warmup, reps):
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(reps):
        begin = time.perf_counter()
        call()
        samples.append((time.perf_counter() - begin) * 1e3)
    return samples


class Worker:
    """Runs one stage request at a time: prefill N, decode N (N cached tokens) or siglip."""

    def __init__(self, w, dims, slots, seed):
        self.w, self.dims = w, dims
        self.model = Qwen2(w, dims, slots)
        self.generator = torch.Generator().manual_seed(seed)
        self.seed = seed
        self.filled = None
        self.pixels = torch.from_numpy(rio.pixel_values(rio.synthetic_frames(1)))  # [1, 3, 384, 384]

    def run(self, stage, tokens, warmup, reps):
        if stage == "prefill":
            ids = torch.randint(0, self.dims.vocab, (tokens,), generator=self.generator)
            return timed(lambda: self.model.forward(ids, 0), warmup, reps)
        if stage == "decode":
            if self.filled != tokens:  # the prefills above overwrote the first rows
                self.model.fill_cache_random(tokens, self.seed)
                self.filled = tokens
            token = torch.randint(0, self.dims.vocab, (1,), generator=self.generator)
            return timed(lambda: self.model.forward(token, tokens), warmup, reps)
        if stage == "siglip":
            return timed(lambda: siglip(self.pixels, self.w, self.dims), warmup, reps)
        raise ValueError("unknown stage %r" % stage)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--slots", type=int, default=6301, help="KV cache rows per layer")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    begin = time.perf_counter()
    config, arrays = rio.load_checkpoint(args.checkpoint)
    dims = lt.Dims(config)
    w = lt.to_torch(arrays, torch.float32)
    del arrays
    worker = Worker(w, dims, args.slots, args.seed)
    load_s = time.perf_counter() - begin
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "load_s": load_s}), flush=True)

    with torch.inference_mode():
        for line in sys.stdin:
            parts = line.split()
            if not parts or parts[0] == "quit":
                break
            stage, tokens, warmup, reps = parts[0], int(parts[1]), int(parts[2]), int(parts[3])
            samples = worker.run(stage, tokens, warmup, reps)
            print(json.dumps({"stage": stage, "tokens": tokens, "samples_ms": samples}), flush=True)


if __name__ == "__main__":
    main()
