"""Self-checks of llava_torch.py against second, independent formulations: RoPE against complex rotation, attention
against explicit loops, the patch conv against reshape + matmul, pooling against the spec's (i0, lambda) table,
GELU/LayerNorm against torch's own ops, KV-cache decoding against full recomputation, and the file writers against
their readers. Each check returns its worst difference; any check over its tolerance raises.
"""
import cmath
import json
import math
import os
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

import llava_torch as lt
import reference_io as rio


class CheckFailed(AssertionError):
    pass


def _record(results, name, diff, tolerance, note):
    results[name] = {"max_abs_diff": float(diff), "tolerance": tolerance, "what": note}
    if not diff <= tolerance:
        raise CheckFailed("self-check %s: difference %.3g over tolerance %.3g (%s)" % (name, diff, tolerance, note))


def check_rope(results):
    """NeoX rotation == multiplying the complex numbers (x_j + i*x_{j+D/2}) by exp(i*pos*inv_freq_j)."""
    head_dim, theta = 16, 1_000_000.0
    positions = torch.tensor([0, 1, 7, 800, 6300, 30000], dtype=torch.int64)
    x = torch.randn(3, len(positions), head_dim, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    cos, sin = lt.rope_tables(positions, head_dim, theta, torch.float64)
    got = lt.apply_rope(x, cos, sin)
    expected = torch.empty_like(x)
    half = head_dim // 2
    for h in range(x.shape[0]):
        for t, pos in enumerate(positions.tolist()):
            for j in range(half):
                z = complex(x[h, t, j], x[h, t, j + half]) * cmath.exp(1j * pos / theta ** (2 * j / head_dim))
                expected[h, t, j], expected[h, t, j + half] = z.real, z.imag
    _record(results, "rope_vs_complex_rotation", (got - expected).abs().max(), 1e-9,
            "fp64 rope_tables + apply_rope vs complex multiplication, D=16, positions up to 30000")


def check_attention(results):
    """GQA causal attention over a cache == explicit loops in Python floats."""
    gen = torch.Generator().manual_seed(2)
    hq, hkv, d, cached, new = 4, 2, 8, 3, 4
    q = torch.randn(hq, new, d, generator=gen, dtype=torch.float64)
    k = torch.randn(hkv, cached + new, d, generator=gen, dtype=torch.float64)
    v = torch.randn(hkv, cached + new, d, generator=gen, dtype=torch.float64)
    q_pos = torch.arange(cached, cached + new)
    got = lt.attention(q, k, v, q_pos, torch.arange(cached + new))
    worst = 0.0
    for h in range(hq):
        kv = h // (hq // hkv)
        for i in range(new):
            visible = range(cached + i + 1)
            scores = [sum(q[h, i, c].item() * k[kv, j, c].item() for c in range(d)) / math.sqrt(d) for j in visible]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            for c in range(d):
                value = sum(weights[j] * v[kv, j, c].item() for j in visible) / total
                worst = max(worst, abs(value - got[h, i, c].item()))
    _record(results, "attention_vs_loops", worst, 1e-12,
            "GQA 4q/2kv heads, 3 cached + 4 new tokens, causal by absolute position, fp64")
    full = lt.attention(q, k[:, :new], v[:, :new])
    scores = torch.einsum("htd,hsd->hts", q, k[:, :new].repeat_interleave(2, 0)) / math.sqrt(d)
    expected = torch.einsum("hts,hsd->htd", scores.softmax(-1), v[:, :new].repeat_interleave(2, 0))
    _record(results, "attention_unmasked_vs_einsum", (full - expected).abs().max(), 1e-12,
            "the unmasked (SigLIP) form against an einsum formulation")


def check_patch_embed(results, pixels, w, dims):
    """conv2d(kernel = stride = 14) == patches flattened in (channel, ky, kx) order times weight [Cv, 588]."""
    frames = pixels.shape[0]
    g, p = dims.grid, dims.patch_size
    # 27 * 14 = 378 < 384: the conv never reads the last 6 rows and columns.
    used = pixels[:, :, :g * p, :g * p].contiguous()  # [F, 3, 378, 378]
    patches = used.view(frames, 3, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(frames, g * g, 3 * p * p)
    weight = w[lt.VISION + "embeddings.patch_embedding.weight"].reshape(dims.vision_width, -1)  # [Cv, 588]
    expected = patches @ weight.T + w[lt.VISION + "embeddings.patch_embedding.bias"]
    expected = expected + w[lt.VISION + "embeddings.position_embedding.weight"][None]
    got = lt.patch_embed(pixels, w, dims)
    scale = expected.abs().max()
    _record(results, "patch_embed_conv_vs_matmul", (got - expected).abs().max() / scale, 1e-5,
            "relative to max |value|; conv vs reshape + matmul on the fixture's frames and weights")


# llava-onevision.md 4.4: the pairs for 27 -> 14.
SPEC_I0 = [0, 2, 4, 6, 8, 10, 12, 13, 15, 17, 19, 21, 23, 25]
SPEC_LAMBDA = [.4643, .3929, .3214, .25, .1786, .1071, .0357, .9643, .8929, .8214, .75, .6786, .6071, .5357]


def check_pooling(results):
    """F.interpolate(bilinear, align_corners=False, 27 -> 14) == the spec's separable formula and table."""
    pairs = []
    for d in range(14):
        s = max((d + 0.5) * 27 / 14 - 0.5, 0.0)
        i0 = math.floor(s)
        pairs.append((i0, min(i0 + 1, 26), s - i0))
    table_diff = max(max(abs(a[0] - b) for a, b in zip(pairs, SPEC_I0)),
                     max(abs(a[2] - b) for a, b in zip(pairs, SPEC_LAMBDA)))
    _record(results, "pooling_table_vs_spec", table_diff, 5e-5, "computed (i0, lambda) vs llava-onevision.md 4.4")
    grid = torch.randn(2, 5, 27, 27, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    expected = torch.empty(2, 5, 14, 14, dtype=torch.float64)
    for y, (y0, y1, ly) in enumerate(pairs):
        for x, (x0, x1, lx) in enumerate(pairs):
            top = (1 - lx) * grid[..., y0, x0] + lx * grid[..., y0, x1]
            bottom = (1 - lx) * grid[..., y1, x0] + lx * grid[..., y1, x1]
            expected[..., y, x] = (1 - ly) * top + ly * bottom
    got = F.interpolate(grid, size=(14, 14), mode="bilinear", align_corners=False)
    _record(results, "pooling_interpolate_vs_formula", (got - expected).abs().max(), 1e-12,
            "torch bilinear resize vs explicit (1-ly)[(1-lx)a00 + lx a01] + ly[...] in fp64")


def check_elementwise(results):
    x = torch.linspace(-8, 8, 2001, dtype=torch.float64)
    erf = torch.tensor([0.5 * t * (1 + math.erf(t / math.sqrt(2))) for t in x.tolist()], dtype=torch.float64)
    _record(results, "gelu_erf_vs_math_erf", (lt.gelu_erf(x) - erf).abs().max(), 1e-12, "fp64 on [-8, 8]")
    _record(results, "gelu_erf_vs_torch_gelu", (lt.gelu_erf(x) - F.gelu(x)).abs().max(), 1e-12, "fp64")
    tanh = F.gelu(x, approximate="tanh")
    _record(results, "gelu_tanh_vs_torch_gelu_tanh", (lt.gelu_tanh(x) - tanh).abs().max(), 1e-12, "fp64")
    gen = torch.Generator().manual_seed(4)
    h = torch.randn(7, 64, generator=gen, dtype=torch.float64) * 3 + 1
    gamma, beta = torch.randn(64, generator=gen, dtype=torch.float64), torch.randn(64, generator=gen, dtype=torch.float64)
    _record(results, "layer_norm_vs_torch", (lt.layer_norm(h, gamma, beta, 1e-6) -
                                             F.layer_norm(h, (64,), gamma, beta, 1e-6)).abs().max(), 1e-12, "fp64")
    rms = torch.stack([row / math.sqrt(sum(v * v for v in row.tolist()) / 64 + 1e-6) for row in h]) * gamma
    _record(results, "rms_norm_vs_loop", (lt.rms_norm(h, gamma, 1e-6) - rms).abs().max(), 1e-12, "fp64")


def check_cache(results, name, embeds, appended_ids, first_row, cached_logits, w, dims):
    """Decoding with the KV cache == one uncached forward over the prompt plus appended_ids, read at rows
    first_row, first_row + 1, ... (greedy: the prompt's last row; forced: the first appended row)."""
    embed = w[lt.TEXT + "embed_tokens.weight"]
    sequence = torch.cat([embeds, embed[torch.tensor(appended_ids, dtype=torch.int64)]], dim=0)
    rows = list(range(first_row, first_row + cached_logits.shape[0]))
    _, _, logits = lt.decoder(sequence, w, dims, lt.KvCache(dims.layers), logits_rows=rows)
    scale = logits.abs().max()
    _record(results, name, (logits - cached_logits).abs().max() / scale, 1e-5,
            "relative to max |logit|; %d decode steps against an uncached forward" % len(rows))
    if not torch.equal(logits.argmax(dim=-1), cached_logits.argmax(dim=-1)):
        raise CheckFailed("self-check %s: argmax of the recomputed logits differs" % name)


def check_writer(results):
    """write_safetensors -> read_safetensors round trip, with an odd-length header before padding."""
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3) / 7, "bb": np.array([1.5, -2.0], dtype=np.float16)}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.safetensors")
        rio.write_safetensors(path, arrays, {"k": "v"})
        back = rio.read_safetensors(path)
        header, metadata, start = rio.read_safetensors_header(path)
    diff = max(float(np.abs(back[k] - arrays[k].astype(np.float32)).max()) for k in arrays)
    if start % 8 != 0 or metadata != {"k": "v"} or sorted(back) != ["a", "bb"]:
        raise CheckFailed("self-check safetensors_round_trip: header or names wrong")
    _record(results, "safetensors_round_trip", diff, 0.0, "F32 and F16 tensors, metadata, 8-byte aligned data")


def check_checkpoint_forms(results, checkpoint, arrays):
    """The loader gives the same tensors for the checkpoint copied under the >= 4.52 names, and for a two-shard
    copy with model.safetensors.index.json (skipped for checkpoints over 100 MB: the point is the code path)."""
    if sum(a.nbytes for a in arrays.values()) > 100_000_000:
        return
    with tempfile.TemporaryDirectory() as tmp:
        renamed = os.path.join(tmp, "renamed")
        rio.copy_with_new_names(checkpoint, renamed)
        _, from_renamed = rio.load_checkpoint(renamed)
        sharded = os.path.join(tmp, "sharded")
        os.makedirs(sharded)
        names = sorted(arrays)
        halves = {"model-00001-of-00002.safetensors": names[::2], "model-00002-of-00002.safetensors": names[1::2]}
        weight_map = {}
        for shard, members in halves.items():
            rio.write_safetensors(os.path.join(sharded, shard), {rio.new_scheme_name(n): arrays[n] for n in members})
            weight_map.update({rio.new_scheme_name(n): shard for n in members})
        with open(os.path.join(sharded, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": weight_map}, f)
        with open(os.path.join(sharded, "config.json"), "w") as f:
            f.write("{}")
        _, from_shards = rio.load_checkpoint(sharded)
    for label, loaded in (("renamed", from_renamed), ("sharded", from_shards)):
        if sorted(loaded) != names:
            raise CheckFailed("self-check checkpoint_forms: %s copy has different tensor names" % label)
    diff = max(float(np.abs(loaded[n] - arrays[n]).max()) for loaded in (from_renamed, from_shards) for n in names)
    _record(results, "checkpoint_new_names_and_shards", diff, 0.0,
            "same tensors from a copy under the >= 4.52 names and from a two-shard copy with an index")


def run_model_independent():
    results = {}
    check_rope(results)
    check_attention(results)
    check_pooling(results)
    check_elementwise(results)
    check_writer(results)
    return results
