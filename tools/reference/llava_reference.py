#!/usr/bin/python3
"""Plain-torch reference for LLaVA-OneVision's video path (issue 4, item 5): reads a Hugging Face checkpoint
directory, runs synthetic 384x384 frames and a chat prompt through llava_torch.py in fp32, greedy-decodes, and
writes a stage-by-stage fixture (manifest.json + reference.safetensors, format in tools/reference/README.md).
The same pipeline also runs in fp64 so the manifest records how far fp32 is from exact (the noise floor a C#
implementation can be held to), and reference_checks.py verifies the pieces against second formulations first.

Needs only Debian's python3-torch (1.13, CPU) and numpy; no transformers. From the repository root:

  dotnet run --project src/DyCoke.Server -- make-demo-model /tmp/ref-demo --seed 0
  /usr/bin/python3 tools/reference/llava_reference.py --checkpoint /tmp/ref-demo --checkpoint-seed 0 \\
      --frames 4 --out tests/fixtures/llava_demo
"""
import argparse
import os
import platform
import shlex
import sys
import time

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ inside the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llava_torch as lt  # noqa: E402
import qwen_bpe  # noqa: E402
import reference_checks  # noqa: E402
import reference_io as rio  # noqa: E402

STAGE_DESCRIPTIONS = {
    "pixels_frame0_patch0": "pixel_values[0, :, 0:14, 0:14]: frame 0's first patch after v/127.5 - 1, to check the "
                            "frame formula and normalisation",
    "siglip_embed_frame0": "frame 0 after patch embedding + position embedding (SigLIP input to layer 0)",
    "siglip_out_frame0": "frame 0, output of the last SigLIP encoder layer (hidden_states[-1], no post_layernorm)",
    "projector_out": "multi_modal_projector output for every frame, before pooling",
    "pooled": "after bilinear 27x27 -> 14x14 pooling, tokens row-major per frame",
    "video_features": "pooled frames concatenated frame-major, then one image_newline row",
    "inputs_embeds": "embed_tokens[input_ids] with the <video> rows replaced by video_features",
    "layer0_out": "residual stream after decoder layer 0 (HF hidden_states[1]), prompt positions 0..T-1",
    "final_norm_out": "after the final RMSNorm, every prompt position (HF hidden_states[-1] after norm)",
    "last_logits": "logits of the last prompt position over all V rows (greedy step 0)",
    "forced_step_logits": "row s: logits after feeding forced.ids[s] at position num_tokens + s through the KV "
                          "cache (teacher forcing after the prompt's prefill)",
}

FORCED_TEXT = " the frames show a quiet street, then a red car moves slowly across the view of a small park"
FORCED_IDS_WITHOUT_TOKENIZER = [1000 + 997 * i for i in range(64)]

# Stages stored only as an evenly spaced subset of rows (the manifest's rows field) to keep the fixture small.
ROW_LIMITS = {"siglip_embed_frame0": 32}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="HF checkpoint directory (config.json + safetensors)")
    parser.add_argument("--checkpoint-seed", type=int, help="make-demo-model seed, recorded in the manifest")
    parser.add_argument("--checkpoint-command", help="how the checkpoint was made, recorded in the manifest "
                        "(default: the make-demo-model command when --checkpoint-seed is given)")
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--question", default="Describe the video.")
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--forced-steps", type=int, default=16, help="teacher-forced decode steps")
    parser.add_argument("--max-rows", type=int, help="store at most this many rows of every stage (large models)")
    parser.add_argument("--no-fp64", action="store_true", help="skip the fp64 run (large models)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads")
    parser.add_argument("--out", required=True, help="fixture directory to write")
    return parser.parse_args()


def compare(ours, exact):
    """Differences of an fp32 tensor from its fp64 counterpart."""
    ours, exact = ours.double(), exact.double()
    diff = (ours - exact).abs()
    return {"max_abs": float(diff.max()), "rel_max": float(diff.max() / exact.abs().max()),
            "rel_l2": float((ours - exact).norm() / exact.norm())}


def top2(logits):
    values, ids = torch.topk(logits.double(), 2)
    return {"ids": ids.tolist(), "logits": [float("%.7g" % v) for v in values.tolist()],
            "margin": float("%.7g" % (values[0] - values[1]))}


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.time()
    config, arrays = rio.load_checkpoint(args.checkpoint)
    dims = lt.Dims(config)
    prompt = qwen_bpe.video_prompt(args.checkpoint, config, args.frames, args.question)
    tokenizer_path = os.path.join(args.checkpoint, "tokenizer.json")
    bpe = qwen_bpe.ByteLevelBpe(tokenizer_path) if os.path.exists(tokenizer_path) else None
    stop_id = bpe.special["<|im_end|>"] if bpe else qwen_bpe.QWEN2_IDS["<|im_end|>"]
    if bpe and bpe.decode(prompt["ids_unexpanded"]) != prompt["text"]:
        raise reference_checks.CheckFailed("BPE round trip changed the prompt text")

    frames = rio.synthetic_frames(args.frames)  # [F, 384, 384, 3] uint8
    pixels = torch.from_numpy(rio.pixel_values(frames))  # [F, 3, 384, 384] fp32

    checks = reference_checks.run_model_independent()
    reference_checks.check_checkpoint_forms(checks, args.checkpoint, arrays)
    w32 = lt.to_torch(arrays, torch.float32)
    reference_checks.check_patch_embed(checks, pixels, w32, dims)
    forced = forced_ids(bpe, args.forced_steps)
    stages, tokens = lt.run(pixels, prompt["input_ids"], w32, dims, args.max_new_tokens, stop_id, forced)
    embeds, prompt_len = stages["inputs_embeds"], len(prompt["input_ids"])
    reference_checks.check_cache(checks, "kv_cache_greedy_vs_recompute", embeds, tokens[:-1], prompt_len - 1,
                                 stages["greedy_step_logits"], w32, dims)
    reference_checks.check_cache(checks, "kv_cache_forced_vs_recompute", embeds, forced, prompt_len,
                                 stages["forced_step_logits"], w32, dims)
    stages["pixels_frame0_patch0"] = pixels[0, :, :dims.patch_size, :dims.patch_size]
    print("fp32 run done in %.1f s: tokens %s" % (time.time() - started, tokens))

    noise = None
    if not args.no_fp64:
        w64 = lt.to_torch(arrays, torch.float64)
        exact, tokens64 = lt.run(pixels.double(), prompt["input_ids"], w64, dims, args.max_new_tokens, stop_id,
                                 forced)
        rows = min(len(tokens), len(tokens64))
        exact["greedy_step_logits"] = exact["greedy_step_logits"][:rows]
        noise = {"greedy_tokens_fp64": tokens64, "greedy_tokens_equal": tokens64 == tokens,
                 # The slice only matters for greedy_step_logits, whose step count may differ.
                 "stages": {name: compare(stages[name][:exact[name].shape[0]], exact[name]) for name in exact}}
        print("fp64 run done: tokens equal %s, worst rel_max %.3g" %
              (noise["greedy_tokens_equal"], max(s["rel_max"] for s in noise["stages"].values())))

    order = ["pixels_frame0_patch0", "siglip_embed_frame0", "siglip_out_frame0", "projector_out", "pooled",
             "video_features", "inputs_embeds", "layer0_out", "final_norm_out", "last_logits", "forced_step_logits"]
    if stages["forced_step_logits"].numel() * 4 > (1 << 20):
        order.remove("forced_step_logits")  # ~10 MB at the real vocabulary; its top-2 stay in the manifest
    stage_list = [(name, stages[name].detach().numpy(), STAGE_DESCRIPTIONS[name], row_limit(name, args.max_rows))
                  for name in order]
    manifest = build_manifest(args, config, dims, prompt, tokens, stages, stop_id, bpe, checks, noise, forced)
    path = rio.write_fixture(args.out, manifest, stage_list)
    print("wrote %s (%d bytes) and manifest.json in %.1f s" % (path, os.path.getsize(path), time.time() - started))


def row_limit(name, max_rows):
    """How many rows of a stage to store (None: all); the 3x14x14 pixel patch is always whole."""
    if name == "pixels_frame0_patch0":
        return None
    limits = [n for n in (ROW_LIMITS.get(name), max_rows) if n is not None]
    return min(limits) if limits else None


def forced_ids(bpe, count):
    """The teacher-forced continuation: FORCED_TEXT through the checkpoint's tokenizer (else fixed ids), first
    count ids."""
    ids = bpe.encode_plain(FORCED_TEXT)[0] if bpe else FORCED_IDS_WITHOUT_TOKENIZER
    if len(ids) < count:
        raise ValueError("the forced continuation has only %d ids" % len(ids))
    return ids[:count]


def build_manifest(args, config, dims, prompt, tokens, stages, stop_id, bpe, checks, noise, forced):
    files = rio.checkpoint_files(args.checkpoint)
    make = args.checkpoint_command
    if make is None and args.checkpoint_seed is not None:
        make = ("dotnet run --project src/DyCoke.Server -- make-demo-model %s --seed %d"
                % (args.checkpoint, args.checkpoint_seed))
    command = "/usr/bin/python3 tools/reference/" + os.path.basename(sys.argv[0]) + " " + shlex.join(sys.argv[1:])
    return {
        "description": "LLaVA-OneVision video path, plain torch (tools/reference/llava_torch.py) in fp32 on the CPU",
        "producer": "plain-torch",
        "command": command,
        "versions": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "compute_dtype": "float32",
        "checkpoint": {
            "directory": args.checkpoint,
            "seed": args.checkpoint_seed,
            "make_command": make,
            "files_sha256": {os.path.basename(p): rio.sha256_of(p) for p in files},
            "vision": {"width": dims.vision_width, "layers": dims.vision_layers, "heads": dims.vision_heads},
            "text": {"width": dims.width, "layers": dims.layers, "heads": dims.heads, "kv_heads": dims.kv_heads,
                     "head_dim": dims.head_dim, "vocab_rows": dims.vocab, "tied_head": dims.tied,
                     "rope_theta": dims.theta, "rms_norm_eps": dims.eps},
        },
        "frames": {"count": args.frames, "height": rio.FRAME_SIZE, "width": rio.FRAME_SIZE,
                   "formula": rio.FRAME_FORMULA, "formula_note": rio.FRAME_FORMULA_NOTE,
                   "pixel_values": rio.PIXEL_FORMULA},
        "prompt": {k: prompt[k] for k in ("text", "question", "tokenization", "ids_unexpanded", "tokens_unexpanded")},
        "video_token_id": prompt["video_token_id"],
        "video_token_start": prompt["video_token_start"],
        "video_token_count": prompt["video_token_count"],
        "num_tokens": len(prompt["input_ids"]),
        "positions": "0 .. num_tokens - 1 (batch 1, no padding)",
        "input_ids": prompt["input_ids"],
        "greedy": {
            "max_new_tokens": args.max_new_tokens,
            "stop_token_id": stop_id,
            "tokens": tokens,
            "stopped_at_stop_token": tokens[-1] == stop_id,
            "text": bpe.decode(tokens) if bpe else None,
            "top2_per_step": [top2(row) for row in stages["greedy_step_logits"]],
            "rule": "argmax over all V rows (first index on ties) of the last position; stop token kept; KV cache",
        },
        "forced": {
            "text": bpe.decode(forced) if bpe else None,
            "ids": forced,
            "top2_per_step": [top2(row) for row in stages["forced_step_logits"]],
            "rule": "after prefilling input_ids, feed ids[s] at position num_tokens + s (s = 0, 1, ...) through the "
                    "KV cache; stage forced_step_logits row s holds the logits that step returns",
        },
        "self_checks": checks,
        "fp32_vs_fp64": noise,
    }


if __name__ == "__main__":
    main()
