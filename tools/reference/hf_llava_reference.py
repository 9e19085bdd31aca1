#!/usr/bin/env python3
"""Hugging Face transformers reference for LLaVA-OneVision's video path (issue 4, item 5), for a GPU host with
torch >= 2.1 and transformers >= 4.52 (written against transformers 5's modeling_llava_onevision.py).

It builds LlavaOnevisionForConditionalGeneration with from_pretrained for two cases:
  demo     the demo checkpoint (make-demo-model, seed 0), tokenizer and all;
  qwen05b  the real 0.5B shapes (tests/fixtures/configs/llava-onevision-qwen2-0.5b-ov.config.json) with
           deterministic random F16 weights written by random_checkpoint.py (numpy only, so the same file can be
           regenerated on any machine and read by our loader; its sha256 goes into the manifest);
and for each runs fp32 with eager attention and fp16 with the default (sdpa) attention on the same synthetic
frames (reference_io.synthetic_frames, passed directly as pixel_values_videos [1, F, 3, 384, 384]) and the same
input ids (qwen_bpe.video_prompt). Stages are captured with forward hooks, then written with the plain-torch
fixture's format (reference_io.write_fixture) to <out-root>/hf_<case>_<fp32|fp16>/, plus 32 greedy tokens from
generate(do_sample=False) and teacher-forced decode logits through the KV cache.

TF32 is switched off (cuDNN allows it for convolutions by default), so fp32 really is fp32. NOT RUN YET: no GPU
host was available when it was written; see tools/reference/README.md for the exact commands.
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
import qwen_bpe  # noqa: E402
import random_checkpoint  # noqa: E402
import reference_io as rio  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_RANDOM_CONFIG = os.path.join(REPO, "tests", "fixtures", "configs", "llava-onevision-qwen2-0.5b-ov.config.json")
FORCED_TEXT = " the frames show a quiet street, then a red car moves slowly across the view of a small park"
FORCED_IDS_WITHOUT_TOKENIZER = [1000 + 997 * i for i in range(64)]

DESCRIPTIONS = {
    "pixels_frame0_patch0": "pixel_values_videos[0, 0, :, 0:14, 0:14] as fed to the model (after the dtype cast)",
    "siglip_embed_frame0": "frame 0, output of vision_model.embeddings (patch conv + position embedding)",
    "siglip_out_frame0": "frame 0, the multi_modal_projector's input: the vision feature HF selected "
                         "(hidden_states[vision_feature_layer])",
    "projector_out": "multi_modal_projector output, every frame, before pooling",
    "pooled": "apply_pooling output (bilinear 27x27 -> 14x14)",
    "video_features": "inputs_embeds rows at the <video> positions (pooled frames + image_newline, merged)",
    "inputs_embeds": "language model input (forward pre-hook on model.language_model)",
    "layer0_out": "output of language_model.layers[0]",
    "final_norm_out": "output of language_model.norm",
    "last_logits": "logits at the last prompt position of the prefill",
    "forced_step_logits": "row s: logits after feeding forced.ids[s] at position num_tokens + s with the cache",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="demo,qwen05b", help="comma list of demo, qwen05b")
    parser.add_argument("--dtypes", default="fp32,fp16", help="comma list of fp32, fp16")
    parser.add_argument("--demo-checkpoint", help="directory written by make-demo-model (needed for case demo)")
    parser.add_argument("--demo-seed", type=int, default=0, help="the seed it was written with (recorded)")
    parser.add_argument("--random-config", default=DEFAULT_RANDOM_CONFIG)
    parser.add_argument("--random-seed", type=int, default=0)
    parser.add_argument("--work", default="/tmp/dycoke-hf-reference", help="where the random checkpoint goes")
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--question", default="Describe the video.")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--forced-steps", type=int, default=16)
    parser.add_argument("--fp16-attn", default="sdpa", help="attn_implementation for fp16 (fp32 is always eager)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out-root", default=os.path.join(REPO, "tests", "fixtures"))
    return parser.parse_args()


def strict_fp32():
    """No TF32 anywhere: cuDNN's default allows it for the patch convolution, which would cost ~1e-3."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")


def load_model(directory, dtype, attn, device, work):
    """(model on device in eval mode, how it was loaded). If transformers does not map the hub's legacy tensor
    names cleanly, loads a copy of the checkpoint with every tensor renamed to the new scheme instead."""
    from transformers import LlavaOnevisionForConditionalGeneration

    def attempt(path):
        try:
            model, info = LlavaOnevisionForConditionalGeneration.from_pretrained(
                path, dtype=dtype, attn_implementation=attn, output_loading_info=True)
        except TypeError:  # transformers < 4.56 spells it torch_dtype
            model, info = LlavaOnevisionForConditionalGeneration.from_pretrained(
                path, torch_dtype=dtype, attn_implementation=attn, output_loading_info=True)
        missing = [k for k in info.get("missing_keys", []) if k != "lm_head.weight"]
        clean = not (missing or info.get("unexpected_keys") or info.get("mismatched_keys"))
        return model, info, clean

    model, info, clean = attempt(directory)
    how = "from_pretrained on the checkpoint as written"
    if not clean:
        renamed = os.path.join(work, os.path.basename(os.path.normpath(directory)) + "-new-names")
        rio.copy_with_new_names(directory, renamed)
        model, info, clean = attempt(renamed)
        how = "from_pretrained on a copy renamed to the >= 4.52 names (legacy names did not load cleanly)"
        if not clean:
            raise RuntimeError("checkpoint did not load cleanly under either name scheme: %s" % info)
    return model.to(device).eval(), how


def check_weights(model, arrays, dtype):
    """Every tensor our reader sees equals the loaded parameter (after the same dtype cast); the tied head equals
    embed_tokens. Returns the count checked."""
    state = model.state_dict()
    for name, array in arrays.items():
        ours = torch.from_numpy(array).to(dtype)
        theirs = state[rio.new_scheme_name(name)].detach().cpu()
        if theirs.shape != ours.shape or not torch.equal(theirs, ours):
            raise RuntimeError("weight %s differs between our reader and transformers" % name)
    if "language_model.lm_head.weight" not in arrays:
        if not torch.equal(state["lm_head.weight"], state["model.language_model.embed_tokens.weight"]):
            raise RuntimeError("lm_head is not tied to embed_tokens")
    return len(arrays)


class Captures:
    """Forward hooks that keep the first output of each watched module (the prefill), as fp32 CPU tensors."""

    def __init__(self, model):
        self.values = {}
        self.handles = []
        inner = model.model
        vision = inner.vision_tower.vision_model
        text = inner.language_model
        self._output(vision.embeddings, "siglip_embed")
        self._output(vision.encoder.layers[-1], "siglip_last_layer")
        self._output(vision.post_layernorm, "siglip_post_layernorm")
        self._output(inner.multi_modal_projector, "projector_out")
        self.handles.append(inner.multi_modal_projector.register_forward_pre_hook(
            lambda module, args: self._keep("projector_in", args[0])))
        try:
            self.handles.append(text.register_forward_pre_hook(
                lambda module, args, kwargs: self._keep("inputs_embeds", kwargs.get("inputs_embeds")),
                with_kwargs=True))
        except TypeError:  # torch < 2.0 has no kwargs pre-hooks; hidden_states[0] is used instead
            pass
        self._output(text.layers[0], "layer0_out")
        self._output(text.norm, "final_norm_out")
        # apply_pooling is a method, not a module: wrap it on the instance so the model's self.apply_pooling finds it.
        original = inner.apply_pooling
        inner.apply_pooling = lambda features: self._keep("pooled", original(features), passthrough=True)

    def _output(self, module, name):
        self.handles.append(module.register_forward_hook(lambda m, args, out: self._keep(name, out)))

    def _keep(self, name, value, passthrough=False):
        tensor = value[0] if isinstance(value, (tuple, list)) else value
        if tensor is not None and name not in self.values:
            self.values[name] = tensor.detach().float().cpu()
        return value if passthrough else None

    def reset(self):
        self.values = {}


def max_diff(a, b):
    return float((a.detach().float().cpu() - b.detach().float().cpu()).abs().max())


def top2(logits):
    values, ids = torch.topk(logits.double(), 2)
    return {"ids": ids.tolist(), "logits": [float("%.7g" % v) for v in values.tolist()],
            "margin": float("%.7g" % (values[0] - values[1]))}


def run_case(args, case, checkpoint, arrays, config, dtype_name, checkpoint_info, bpe):
    import transformers
    dtype = torch.float32 if dtype_name == "fp32" else torch.float16
    attn = "eager" if dtype_name == "fp32" else args.fp16_attn
    device = torch.device(args.device)
    model, how = load_model(checkpoint, dtype, attn, device, args.work)
    checks = {"loaded": how, "weights_equal_to_our_reader": check_weights(model, arrays, dtype)}
    prompt = qwen_bpe.video_prompt(checkpoint, config, args.frames, args.question)
    stop_id = bpe.special["<|im_end|>"] if bpe else qwen_bpe.QWEN2_IDS["<|im_end|>"]
    forced = (bpe.encode_plain(FORCED_TEXT)[0] if bpe else FORCED_IDS_WITHOUT_TOKENIZER)[:args.forced_steps]
    checks.update(processor_checks(checkpoint, prompt, args.frames))

    pixels = torch.from_numpy(rio.pixel_values(rio.synthetic_frames(args.frames)))[None]  # [1, F, 3, 384, 384]
    pixels = pixels.to(device, dtype)
    ids = torch.tensor([prompt["input_ids"]], device=device)  # [1, T]
    tokens_count = ids.shape[1]
    captures = Captures(model)
    with torch.no_grad():
        out = model(input_ids=ids, pixel_values_videos=pixels, attention_mask=torch.ones_like(ids),
                    use_cache=True, output_hidden_states=True, return_dict=True)
        cap = dict(captures.values)
        cap.setdefault("inputs_embeds", out.hidden_states[0].detach().float().cpu())
        last_logits = out.logits[0, -1].float().cpu()
        hidden = out.hidden_states
        checks["hidden_states_1_minus_layer0_hook"] = max_diff(hidden[1][0], cap["layer0_out"][0])
        checks["hidden_states_0_minus_inputs_embeds_hook"] = max_diff(hidden[0][0], cap["inputs_embeds"][0])
        # Expected 0 and clearly non-zero: the projector reads the raw last layer, not post_layernorm.
        checks["projector_input_minus_last_layer_output"] = max_diff(cap["projector_in"], cap["siglip_last_layer"])
        checks["projector_input_minus_post_layernorm"] = max_diff(cap["projector_in"], cap["siglip_post_layernorm"])

        # Teacher-forced decode through the cache, then the same logits from one uncached forward.
        cache = out.past_key_values
        forced_rows = []
        for s, token in enumerate(forced):
            position = tokens_count + s
            step = model(input_ids=torch.tensor([[token]], device=device), past_key_values=cache, use_cache=True,
                         attention_mask=torch.ones(1, position + 1, dtype=torch.long, device=device),
                         position_ids=torch.tensor([[position]], device=device),
                         cache_position=torch.tensor([position], device=device), return_dict=True)
            cache = step.past_key_values
            forced_rows.append(step.logits[0, -1].float().cpu())
        forced_logits = torch.stack(forced_rows)  # [n, V]
        full_ids = torch.cat([ids, torch.tensor([forced], device=device)], dim=1)
        captures.reset()
        full = model(input_ids=full_ids, pixel_values_videos=pixels, attention_mask=torch.ones_like(full_ids),
                     use_cache=False, return_dict=True)
        uncached = full.logits[0, tokens_count:tokens_count + len(forced)].float().cpu()
        checks["forced_cached_minus_uncached_logits"] = max_diff(uncached, forced_logits)
        checks["prefill_last_logits_minus_uncached"] = max_diff(full.logits[0, tokens_count - 1], last_logits)

        captures.reset()
        generated = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), pixel_values_videos=pixels,
                                   do_sample=False, num_beams=1, max_new_tokens=args.max_new_tokens,
                                   eos_token_id=stop_id, pad_token_id=stop_id, output_logits=True,
                                   return_dict_in_generate=True)
    for handle in captures.handles:
        handle.remove()
    tokens = generated.sequences[0, tokens_count:].tolist()
    step_logits = [row[0].float().cpu() for row in generated.logits]
    checks["generate_first_logits_minus_prefill"] = max_diff(step_logits[0], last_logits)

    video_rows = (ids[0] == prompt["video_token_id"]).nonzero().flatten().cpu()
    inputs_embeds = cap["inputs_embeds"][0]
    frames = args.frames
    stages = [
        ("pixels_frame0_patch0", pixels[0, 0, :, :14, :14].float().cpu()),
        ("siglip_embed_frame0", cap["siglip_embed"][0]),
        ("siglip_out_frame0", cap["projector_in"][0]),
        ("projector_out", cap["projector_out"]),
        ("pooled", cap["pooled"].reshape(frames, -1, cap["pooled"].shape[-1])),
        ("video_features", inputs_embeds[video_rows]),
        ("inputs_embeds", inputs_embeds),
        ("layer0_out", cap["layer0_out"][0]),
        ("final_norm_out", cap["final_norm_out"][0]),
        ("last_logits", last_logits),
    ]
    if forced_logits.numel() * 4 <= (1 << 20):  # the 0.5B vocabulary would add ~10 MB; its top-2 stay in the manifest
        stages.append(("forced_step_logits", forced_logits))
    large = config["text_config"]["hidden_size"] > 256
    stage_list = [(name, value.numpy(), DESCRIPTIONS[name], 16 if large and name != "pixels_frame0_patch0" else None)
                  for name, value in stages]
    if not large:
        stage_list[1] = stage_list[1][:3] + (32,)  # as the plain-torch fixture stores siglip_embed_frame0

    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    manifest = {
        "description": "LLaVA-OneVision video path, Hugging Face transformers LlavaOnevisionForConditionalGeneration, "
                       "%s with attn_implementation=%s" % (dtype_name, attn),
        "producer": "hf-transformers",
        "command": "python3 tools/reference/hf_llava_reference.py " + shlex.join(sys.argv[1:]),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__,
                     "python": platform.python_version(), "cuda": torch.version.cuda, "device": device_name},
        "compute_dtype": "float32" if dtype_name == "fp32" else "float16",
        "attn_implementation": attn,
        "tf32": {"matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32},
        "checkpoint": checkpoint_info,
        "frames": {"count": frames, "height": rio.FRAME_SIZE, "width": rio.FRAME_SIZE, "formula": rio.FRAME_FORMULA,
                   "formula_note": rio.FRAME_FORMULA_NOTE, "pixel_values": rio.PIXEL_FORMULA +
                   ("; then cast to float16" if dtype_name == "fp16" else "")},
        "prompt": {k: prompt[k] for k in ("text", "question", "tokenization", "ids_unexpanded", "tokens_unexpanded")},
        "video_token_id": prompt["video_token_id"],
        "video_token_start": prompt["video_token_start"],
        "video_token_count": prompt["video_token_count"],
        "num_tokens": tokens_count,
        "positions": "0 .. num_tokens - 1 (batch 1, no padding)",
        "input_ids": prompt["input_ids"],
        "greedy": {"max_new_tokens": args.max_new_tokens, "stop_token_id": stop_id, "tokens": tokens,
                   "stopped_at_stop_token": bool(tokens) and tokens[-1] == stop_id,
                   "text": bpe.decode(tokens) if bpe else None,
                   "top2_per_step": [top2(row) for row in step_logits],
                   "rule": "model.generate(do_sample=False, num_beams=1, max_new_tokens, eos_token_id=stop)"},
        "forced": {"text": bpe.decode(forced) if bpe else None, "ids": forced,
                   "top2_per_step": [top2(row) for row in forced_logits],
                   "rule": "after prefilling input_ids, feed ids[s] at position num_tokens + s (s = 0, 1, ...) "
                           "through the KV cache; stage forced_step_logits row s holds the logits that step returns"},
        "self_checks": checks,
        "fp32_vs_fp64": None,
    }
    directory = os.path.join(args.out_root, "hf_%s_%s" % (case, dtype_name))
    path = rio.write_fixture(directory, manifest, stage_list)
    print("%s %s: tokens %s; wrote %s" % (case, dtype_name, tokens, path))
    del model
    if device.type == "cuda":
        torch.cuda.empty_cache()


def processor_checks(checkpoint, prompt, frames):
    """Where the checkpoint has processor files (the demo), let HF's own tokenizer and processor build the inputs
    and record whether they equal ours (ids, <video> expansion, pixel values). Informational: failures are
    recorded, not raised, because the fixture always uses our inputs so both references see identical ones."""
    result = {}
    if prompt["text"] is None:
        return {"processor": "skipped: no tokenizer files"}
    try:
        from transformers import AutoTokenizer
        ids = AutoTokenizer.from_pretrained(checkpoint)(prompt["text"], add_special_tokens=False)["input_ids"]
        result["hf_tokenizer_ids_equal"] = ids == prompt["ids_unexpanded"]
        if ids != prompt["ids_unexpanded"]:
            result["hf_tokenizer_ids"] = ids
    except Exception as error:  # noqa: BLE001 - recorded for the reader of the manifest
        result["hf_tokenizer_error"] = repr(error)
    try:
        from transformers import AutoProcessor
        processor = AutoProcessor.from_pretrained(checkpoint)
        video = rio.synthetic_frames(frames)  # [F, 384, 384, 3] uint8
        inputs = processor(text=prompt["text"], videos=[video], return_tensors="pt")
        result["hf_processor_input_ids_equal"] = inputs["input_ids"][0].tolist() == prompt["input_ids"]
        theirs = inputs["pixel_values_videos"][0].float()
        ours = torch.from_numpy(rio.pixel_values(video))
        result["hf_processor_pixel_values_max_abs_diff"] = float((theirs - ours).abs().max())
    except Exception as error:  # noqa: BLE001
        result["hf_processor_error"] = repr(error)
    return result


def main():
    args = parse_args()
    strict_fp32()
    started = time.time()
    cases = [c for c in args.cases.split(",") if c]
    for case in cases:
        if case == "demo":
            if not args.demo_checkpoint:
                raise SystemExit("--demo-checkpoint is required for case demo")
            checkpoint = args.demo_checkpoint
            make = "dotnet run --project src/DyCoke.Server -- make-demo-model %s --seed %d" % (checkpoint, args.demo_seed)
            seed = args.demo_seed
        elif case == "qwen05b":
            checkpoint = os.path.join(args.work, "llava-qwen05b-random-seed%d" % args.random_seed)
            make = ("python3 tools/reference/random_checkpoint.py --config %s --seed %d --out %s"
                    % (os.path.relpath(args.random_config, REPO), args.random_seed, checkpoint))
            seed = args.random_seed
            random_checkpoint.write_checkpoint(args.random_config, args.random_seed, checkpoint)
        else:
            raise SystemExit("unknown case %s" % case)
        config, arrays = rio.load_checkpoint(checkpoint)
        tokenizer = os.path.join(checkpoint, "tokenizer.json")
        bpe = qwen_bpe.ByteLevelBpe(tokenizer) if os.path.exists(tokenizer) else None
        info = {"directory": checkpoint, "seed": seed, "make_command": make,
                "files_sha256": {os.path.basename(p): rio.sha256_of(p) for p in rio.checkpoint_files(checkpoint)}}
        for dtype_name in [d for d in args.dtypes.split(",") if d]:
            run_case(args, case, checkpoint, arrays, config, dtype_name, info, bpe)
    print("done in %.0f s" % (time.time() - started))


if __name__ == "__main__":
    main()
