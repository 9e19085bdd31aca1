#!/usr/bin/python3
"""DyCoke's official semantics (KD-TAO/DyCoke, ../../shared/design/dycoke-algorithm.md sections 3.2 and 4.2) ported to
plain torch on top of llava_torch.py: TTM with the reference's quirks (pass B skips the window at F-4, an odd last
frame is dropped, survivors in ascending similarity) and dynamic KV pruning at decode (span len = visual count - 1,
top-k of layer L-1's mean-over-heads attention, re-selected only when cosine(v, v_prev) < gate, unpruned otherwise).
Writes the kept TTM rows, each decode step's DP decision and the greedy tokens to a JSON fixture that
tests/DyCoke.Model.Tests/Compression/DyCokeReferenceTests.cs requires our Reference mode to equal.

From the repository root:

  dotnet run --project src/DyCoke.Server -- make-demo-model /tmp/ref-demo --seed 0
  /usr/bin/python3 tools/reference/dycoke_reference.py --checkpoint /tmp/ref-demo --frames 8 \\
      --out tests/fixtures/dycoke_demo/dycoke_reference.json
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ inside the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llava_torch as lt  # noqa: E402
import qwen_bpe  # noqa: E402
import reference_io as rio  # noqa: E402

TOKENS_PER_FRAME = 196


def ttm_reference(video, n, k):
    """video [F*n, H] (newline excluded) -> kept row indices in output order, as the official dycole_ttm."""
    frames = video.shape[0] // n
    keep = int(math.floor((1.0 - k) * n))
    fr = [video[f * n:(f + 1) * n] for f in range(frames)]  # original features, [n, H] each
    slot = [None] * (frames // 2 * 2)  # frame -> kept frame-local indices (None = whole)

    def least_similar(a, b):
        s = (F.normalize(a, dim=-1) * F.normalize(b, dim=-1)).sum(dim=-1)  # [n]
        order = torch.sort(s, stable=True).indices  # ascending similarity, ties by index
        return order[:keep].tolist()

    for j in range(frames // 2):  # pass A: (2j, 2j+1)
        slot[2 * j + 1] = least_similar(fr[2 * j + 1], fr[2 * j])
    i = 0
    while i < frames - 4:  # pass B: (i, i+2); the window at F-4 is skipped
        slot[i + 2] = least_similar(fr[i + 2], fr[i])
        i += 4
    rows = []
    for f, kept in enumerate(slot):
        rows += [f * n + t for t in (range(n) if kept is None else kept)]
    return rows


def layer(x, w, i, dims, cos, sin, position, cache, rows):
    """One decode layer for a single new token: append its K/V, attend to cache rows `rows` (None = all).
    Returns (x, mean-over-heads softmax over all cached positions or None when rows is given)."""
    p = lt.TEXT + "layers.%d." % i
    h = lt.rms_norm(x, w[p + "input_layernorm.weight"], dims.eps)

    def project(name, heads):  # [1, H] -> [heads, 1, D]
        y = F.linear(h, w[p + "self_attn.%s.weight" % name], w[p + "self_attn.%s.bias" % name])
        return y.view(1, heads, dims.head_dim).transpose(0, 1)

    q = lt.apply_rope(project("q_proj", dims.heads), cos, sin)
    k = lt.apply_rope(project("k_proj", dims.kv_heads), cos, sin)
    v = project("v_proj", dims.kv_heads)
    k_all, v_all = cache.append(i, k, v)  # [Hkv, p + 1, D]: the cache stays complete
    if rows is not None:
        k_all, v_all = k_all[:, rows], v_all[:, rows]
    group = dims.heads // dims.kv_heads
    kk = k_all.repeat_interleave(group, dim=0)  # [Hq, n, D]
    vv = v_all.repeat_interleave(group, dim=0)
    probs = ((q @ kk.transpose(1, 2)) * (dims.head_dim ** -0.5)).softmax(dim=-1)  # [Hq, 1, n]
    out = probs @ vv  # [Hq, 1, D]
    x = x + F.linear(out.transpose(0, 1).reshape(1, dims.heads * dims.head_dim), w[p + "self_attn.o_proj.weight"])
    h = lt.rms_norm(x, w[p + "post_attention_layernorm.weight"], dims.eps)
    gate = F.silu(F.linear(h, w[p + "mlp.gate_proj.weight"]))
    x = x + F.linear(gate * F.linear(h, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"])
    return x, probs.mean(dim=0)[0]


def greedy_dp(embeds, w, dims, start, length, L, P, gate, max_new_tokens, stop_id):
    """Greedy decoding with the reference DP. Returns (tokens, steps)."""
    cache = lt.KvCache(dims.layers)
    _, _, logits = lt.decoder(embeds, w, dims, cache)
    embed = w[lt.TEXT + "embed_tokens.weight"]
    tokens, steps, v_prev = [], [], None
    while True:
        token = int(torch.argmax(logits[-1]))
        tokens.append(token)
        if token == stop_id or len(tokens) == max_new_tokens:
            return tokens, steps
        position = cache.length
        cos, sin = lt.rope_tables(torch.tensor([position]), dims.head_dim, dims.theta, embeds.dtype)
        x, keep, step = embed[token][None], None, None
        for i in range(dims.layers):
            x, mean_probs = layer(x, w, i, dims, cos, sin, position, cache, keep if i >= L else None)
            if i == L - 1:
                v = mean_probs[start:start + length]
                sim = None if v_prev is None else float(F.cosine_similarity(v, v_prev, dim=0))
                v_prev = v
                step = {"similarity": sim, "pruned": False, "kept": None}
                if sim is None or sim < gate:
                    kv = int(math.floor(length * (1.0 - P)))
                    top = torch.topk(v, kv).indices.sort().values.tolist()
                    keep = list(range(start)) + [start + t for t in top] + list(range(start + length, position + 1))
                    step.update(pruned=True, kept=top)
        steps.append(step)
        normed = lt.rms_norm(x, w[lt.TEXT + "norm.weight"], dims.eps)
        logits = F.linear(normed, lt.head_matrix(w, dims))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--k", type=float, default=0.7)
    ap.add_argument("--l", type=int, default=3)
    ap.add_argument("--p", type=float, default=0.7)
    ap.add_argument("--gate", type=float, default=0.9)
    ap.add_argument("--max-new-tokens", type=int, default=12)
    ap.add_argument("--question", default="Describe the video.")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    config, arrays = rio.load_checkpoint(args.checkpoint)
    dims = lt.Dims(config)
    w = lt.to_torch(arrays, torch.float32)
    prompt = qwen_bpe.video_prompt(args.checkpoint, config, args.frames, args.question)
    bpe = qwen_bpe.ByteLevelBpe(os.path.join(args.checkpoint, "tokenizer.json"))
    stop_id = bpe.special["<|im_end|>"]
    pixels = torch.from_numpy(rio.pixel_values(rio.synthetic_frames(args.frames)))  # [F, 3, 384, 384]

    _, vision_out = lt.siglip(pixels, w, dims)
    pooled = lt.pool(lt.projector(vision_out, w), dims)  # [F, 196, H]
    video = pooled.reshape(-1, pooled.shape[-1])  # [F*196, H]
    kept = ttm_reference(video, TOKENS_PER_FRAME, args.k)
    features = torch.cat([video[kept], w[lt.NEWLINE][None]], dim=0)  # TTM output, then the newline

    ids = prompt["input_ids"]
    vid = dims.video_token
    start = ids.index(vid)
    compressed = ids[:start] + [vid] * features.shape[0] + [t for t in ids[start:] if t != vid]
    embeds = lt.merge(compressed, features, w, dims)
    # image_token_length is the post-TTM count minus one (the last visual token is never pruned).
    tokens, steps = greedy_dp(embeds, w, dims, start, len(kept) - 1, args.l, args.p, args.gate,
                              args.max_new_tokens, stop_id)
    result = {
        "format": "dycoke-reference/1",
        "command": "/usr/bin/python3 tools/reference/dycoke_reference.py " + " ".join(sys.argv[1:]),
        "checkpoint_sha256": rio.sha256_of(os.path.join(args.checkpoint, "model.safetensors")),
        "frames": args.frames, "k": args.k, "l": args.l, "p": args.p, "gate": args.gate,
        "max_new_tokens": args.max_new_tokens, "stop_token_id": stop_id,
        "input_ids_expanded": ids, "input_ids_compressed": compressed, "visual_start": start,
        "ttm_kept_rows": kept, "dp_steps": steps, "tokens": tokens,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, separators=(",", ":"))
        f.write("\n")
    print("kept %d of %d video tokens; %d decode steps, %d pruned; tokens %s" % (
        len(kept), video.shape[0], len(steps), sum(s["pruned"] for s in steps), tokens))


if __name__ == "__main__":
    main()
