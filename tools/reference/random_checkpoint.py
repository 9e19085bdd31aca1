#!/usr/bin/python3
"""Writes a LLaVA-OneVision checkpoint directory with deterministic pseudo-random F16 weights for any config (the
real 0.5B shapes in particular): config.json plus model.safetensors under the hub's legacy tensor names, lm_head
left out when text_config ties it, SigLIP's unused post_layernorm included (as hub files have it).

The values come from a counter-based hash, not from torch's RNG, so numpy alone regenerates the identical file on
any machine: the GPU host that runs hf_llava_reference.py and this CPU machine produce the same bytes (check the
sha256 the fixture manifest records). For tensor `name` and element index i (row-major):
  key   = fnv1a64(utf-8 bytes of name) XOR (seed * 0x9E3779B97F4A7C15 mod 2^64)
  u     = (splitmix64(key + i mod 2^64) >> 40) / 2^24                      (uniform in [0, 1))
  value = mean + std * sqrt(3) * (2u - 1)                                 (uniform with that mean and std, float64)
  F16   = round-to-nearest-even of value
with (mean, std) = (0, 0.01) for biases, (1, 0.01) for norm weights, (0, 0.02) for everything else.

  /usr/bin/python3 tools/reference/random_checkpoint.py \\
      --config tests/fixtures/configs/llava-onevision-qwen2-0.5b-ov.config.json --seed 0 --out /tmp/llava-0.5b-random
"""
import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ inside the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_io as rio  # noqa: E402

MASK64 = (1 << 64) - 1
CHUNK = 1 << 24


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


def splitmix64(x):
    """x: uint64 array; wraps mod 2^64 like the reference C code."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def distribution(name):
    if name.endswith(".bias"):
        return 0.0, 0.01
    if name.endswith("norm.weight") or "layer_norm" in name:
        return 1.0, 0.01
    return 0.0, 0.02


def tensor_values(name, count, seed):
    """float16 [count] for tensor name (see the module docstring)."""
    key = fnv1a64(name) ^ ((seed * 0x9E3779B97F4A7C15) & MASK64)
    mean, std = distribution(name)
    out = np.empty(count, dtype=np.float16)
    for begin in range(0, count, CHUNK):
        end = min(count, begin + CHUNK)
        with np.errstate(over="ignore"):
            counters = np.arange(begin, end, dtype=np.uint64) + np.uint64(key)
        u = (splitmix64(counters) >> np.uint64(40)).astype(np.float64) / float(1 << 24)
        out[begin:end] = (mean + std * np.sqrt(3.0) * (2.0 * u - 1.0)).astype(np.float16)
    return out


def expected_tensors(config):
    """[(legacy name, shape)] of a hub LLaVA-OneVision checkpoint for config (llava-onevision.md section 2.3)."""
    v, t = config["vision_config"], config["text_config"]
    c, h = v["hidden_size"], t["hidden_size"]
    grid = v["image_size"] // v["patch_size"]
    vp, tp = "vision_tower.vision_model.", "language_model.model."
    heads = t["num_attention_heads"]
    kv = t.get("num_key_value_heads", heads) * (t.get("head_dim") or h // heads)
    out = [(vp + "embeddings.patch_embedding.weight", [c, v.get("num_channels", 3), v["patch_size"], v["patch_size"]]),
           (vp + "embeddings.patch_embedding.bias", [c]),
           (vp + "embeddings.position_embedding.weight", [grid * grid, c])]
    for i in range(v["num_hidden_layers"]):
        p = vp + "encoder.layers.%d." % i
        for norm in ("layer_norm1", "layer_norm2"):
            out += [(p + norm + ".weight", [c]), (p + norm + ".bias", [c])]
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            out += [(p + "self_attn.%s.weight" % proj, [c, c]), (p + "self_attn.%s.bias" % proj, [c])]
        out += [(p + "mlp.fc1.weight", [v["intermediate_size"], c]), (p + "mlp.fc1.bias", [v["intermediate_size"]]),
                (p + "mlp.fc2.weight", [c, v["intermediate_size"]]), (p + "mlp.fc2.bias", [c])]
    out += [(vp + "post_layernorm.weight", [c]), (vp + "post_layernorm.bias", [c]),
            ("multi_modal_projector.linear_1.weight", [h, c]), ("multi_modal_projector.linear_1.bias", [h]),
            ("multi_modal_projector.linear_2.weight", [h, h]), ("multi_modal_projector.linear_2.bias", [h]),
            ("image_newline", [h]),
            (tp + "embed_tokens.weight", [t["vocab_size"], h])]
    for i in range(t["num_hidden_layers"]):
        p = tp + "layers.%d." % i
        out += [(p + "self_attn.q_proj.weight", [h, h]), (p + "self_attn.q_proj.bias", [h]),
                (p + "self_attn.k_proj.weight", [kv, h]), (p + "self_attn.k_proj.bias", [kv]),
                (p + "self_attn.v_proj.weight", [kv, h]), (p + "self_attn.v_proj.bias", [kv]),
                (p + "self_attn.o_proj.weight", [h, h]),
                (p + "mlp.gate_proj.weight", [t["intermediate_size"], h]),
                (p + "mlp.up_proj.weight", [t["intermediate_size"], h]),
                (p + "mlp.down_proj.weight", [h, t["intermediate_size"]]),
                (p + "input_layernorm.weight", [h]), (p + "post_attention_layernorm.weight", [h])]
    out.append((tp + "norm.weight", [h]))
    if not t.get("tie_word_embeddings", False):
        out.append(("language_model.lm_head.weight", [t["vocab_size"], h]))
    return out


def write_checkpoint(config_path, seed, out_dir):
    """Writes out_dir/config.json and out_dir/model.safetensors; returns (path, sha256, tensor count, parameters)."""
    with open(config_path) as f:
        config = json.load(f)
    os.makedirs(out_dir, exist_ok=True)
    shutil.copyfile(config_path, os.path.join(out_dir, "config.json"))
    specs = expected_tensors(config)
    header = {"__metadata__": {"format": "pt", "generator": "tools/reference/random_checkpoint.py", "seed": str(seed)}}
    offset = 0
    for name, shape in specs:
        size = int(np.prod(shape)) * 2
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    path = os.path.join(out_dir, "model.safetensors")
    # Streamed tensor by tensor: the 0.5B file is 1.8 GB and never needs to sit in memory whole.
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name, shape in specs:
            f.write(tensor_values(name, int(np.prod(shape)), seed).astype("<f2").tobytes())
    parameters = sum(int(np.prod(shape)) for _, shape in specs)
    return path, rio.sha256_of(path), len(specs), parameters


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="a LLaVA-OneVision config.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    path, digest, count, parameters = write_checkpoint(args.config, args.seed, args.out)
    print("wrote %s: %d tensors, %d parameters, sha256 %s" % (path, count, parameters, digest))


if __name__ == "__main__":
    main()
