"""Shared plumbing for the LLaVA-OneVision reference scripts: safetensors reading and writing (struct + json + numpy,
no safetensors package), checkpoint directories in either tensor-name scheme, the synthetic frame formula, and the
fixture writer (manifest.json + reference.safetensors). Imported by llava_reference.py (Debian torch 1.13, CPU)
and hf_llava_reference.py (a GPU host with transformers), so it needs numpy only.
"""
import hashlib
import json
import os
import struct

import numpy as np

FIXTURE_FORMAT = "dycoke-llava-reference/1"

# safetensors dtype name -> numpy dtype; BF16 has no numpy type and is widened by hand.
_NUMPY_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
                 "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}

# ---------------------------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------------------------


def read_safetensors_header(path):
    """(header dict without __metadata__, metadata dict, byte offset where the data section starts)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        if length > 100_000_000:
            raise ValueError("%s: header length %d is implausible" % (path, length))
        header = json.loads(f.read(length).decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    return header, metadata, 8 + length


def read_safetensors(path, names=None):
    """Reads tensors from one file as numpy arrays in fp32 (floats) or their own integer type. names: subset or None."""
    header, _, data_start = read_safetensors_header(path)
    out = {}
    with open(path, "rb") as f:
        for name, info in header.items():
            if names is not None and name not in names:
                continue
            begin, end = info["data_offsets"]
            f.seek(data_start + begin)
            raw = f.read(end - begin)
            if len(raw) != end - begin:
                raise ValueError("%s: tensor %s runs past the end of the file" % (path, name))
            out[name] = _decode(raw, info["dtype"], info["shape"], name)
    return out


def _decode(raw, dtype, shape, name):
    count = int(np.prod(shape)) if len(shape) else 1
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        array = bits.view(np.float32)
    elif dtype in _NUMPY_DTYPES:
        array = np.frombuffer(raw, dtype=np.dtype(_NUMPY_DTYPES[dtype]).newbyteorder("<"))
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
    else:
        raise ValueError("tensor %s: unsupported dtype %s" % (name, dtype))
    if array.size != count:
        raise ValueError("tensor %s: %d elements for shape %s" % (name, array.size, shape))
    return array.reshape(shape)


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: numpy array} (F32, F16 or I64) in insertion order; header padded with spaces to a multiple of 8
    so every tensor starts element-aligned."""
    kinds = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int64): "I64"}
    header = {}
    blobs = []
    offset = 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        if array.dtype not in kinds:
            raise ValueError("tensor %s: dtype %s not supported by the writer" % (name, array.dtype))
        blob = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": kinds[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header = dict([("__metadata__", {k: str(v) for k, v in metadata.items()})] + list(header.items()))
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

# ---------------------------------------------------------------------------------------------------------------
# checkpoint directories
# ---------------------------------------------------------------------------------------------------------------

# transformers >= 4.52 prefix -> hub (legacy) prefix; the reference scripts use the legacy names internally.
NEW_TO_LEGACY_PREFIXES = [
    ("model.vision_tower.vision_model.", "vision_tower.vision_model."),
    ("model.multi_modal_projector.", "multi_modal_projector."),
    ("model.language_model.", "language_model.model."),
    ("model.image_newline", "image_newline"),
    ("lm_head.weight", "language_model.lm_head.weight"),
]


def canonical_name(name):
    """The legacy (hub) name of a tensor stored under either scheme."""
    for new, legacy in NEW_TO_LEGACY_PREFIXES:
        if name.startswith(new):
            return legacy + name[len(new):]
    return name


def checkpoint_files(directory):
    """The safetensors files of a checkpoint: the shards named by model.safetensors.index.json, else model.safetensors."""
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        return [os.path.join(directory, shard) for shard in sorted(set(weight_map.values()))]
    single = os.path.join(directory, "model.safetensors")
    if not os.path.exists(single):
        raise FileNotFoundError("%s holds neither model.safetensors nor model.safetensors.index.json" % directory)
    return [single]


def new_scheme_name(legacy):
    """The transformers >= 4.52 name of a legacy (hub) tensor name."""
    for new, old in NEW_TO_LEGACY_PREFIXES:
        if legacy.startswith(old):
            return new + legacy[len(old):]
    return legacy


def copy_with_new_names(source, destination):
    """Copies a checkpoint directory, rewriting every safetensors header to the transformers >= 4.52 names (data
    bytes copied verbatim; the index file, if any, renamed too). For loaders that no longer map legacy names."""
    import shutil
    os.makedirs(destination, exist_ok=True)
    for entry in os.listdir(source):
        path = os.path.join(source, entry)
        target = os.path.join(destination, entry)
        if os.path.isdir(path):
            shutil.copytree(path, target, dirs_exist_ok=True)
        elif entry.endswith(".safetensors"):
            header, metadata, start = read_safetensors_header(path)
            renamed = {new_scheme_name(canonical_name(k)): v for k, v in header.items()}
            if metadata:
                renamed = dict([("__metadata__", metadata)] + list(renamed.items()))
            text = json.dumps(renamed, separators=(",", ":")).encode("utf-8")
            text += b" " * ((8 - len(text) % 8) % 8)
            with open(path, "rb") as src, open(target, "wb") as dst:
                dst.write(struct.pack("<Q", len(text)))
                dst.write(text)
                src.seek(start)
                shutil.copyfileobj(src, dst, 1 << 24)
        elif entry == "model.safetensors.index.json":
            with open(path) as f:
                index = json.load(f)
            index["weight_map"] = {new_scheme_name(canonical_name(k)): v for k, v in index["weight_map"].items()}
            with open(target, "w") as f:
                json.dump(index, f, indent=2)
        else:
            shutil.copyfile(path, target)


def load_checkpoint(directory):
    """(config dict, {legacy name: fp32 numpy array}) for a checkpoint directory in either name scheme."""
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    tensors = {}
    for path in checkpoint_files(directory):
        for name, array in read_safetensors(path).items():
            key = canonical_name(name)
            if key in tensors:
                raise ValueError("tensor %s appears twice (both name schemes?)" % key)
            tensors[key] = array
    return config, tensors

# ---------------------------------------------------------------------------------------------------------------
# synthetic frames
# ---------------------------------------------------------------------------------------------------------------

FRAME_SIZE = 384
FRAME_FORMULA = "v(f, y, x, c) = (7*x + 13*y + 50*c + 31*f + ((x*y) >> 5)) mod 256"
FRAME_FORMULA_NOTE = ("uint8 RGB frames, f = frame index from 0, y = row 0..383 (top to bottom), x = column 0..383, "
                      "c = channel 0..2 (R, G, B); all arithmetic on non-negative integers; frames are already "
                      "384x384 so the processor's resize is the identity")
PIXEL_FORMULA = "pixel = float32(v) / 127.5f - 1.0f (fp32 division then fp32 subtraction), layout [F, 3, 384, 384]"


def synthetic_frames(num_frames):
    """uint8 [F, 384, 384, 3] (frame, row, column, RGB) following FRAME_FORMULA."""
    f = np.arange(num_frames, dtype=np.int64)[:, None, None, None]
    y = np.arange(FRAME_SIZE, dtype=np.int64)[None, :, None, None]
    x = np.arange(FRAME_SIZE, dtype=np.int64)[None, None, :, None]
    c = np.arange(3, dtype=np.int64)[None, None, None, :]
    value = (7 * x + 13 * y + 50 * c + 31 * f + ((x * y) >> 5)) % 256
    return value.astype(np.uint8)


def pixel_values(frames):
    """float32 [F, 3, 384, 384] from uint8 [F, 384, 384, 3]: v / 127.5 - 1 in fp32 (llava-onevision.md section 3)."""
    chw = np.ascontiguousarray(frames.transpose(0, 3, 1, 2)).astype(np.float32)
    return chw / np.float32(127.5) - np.float32(1.0)

# ---------------------------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------------------------


def select_rows(array, max_rows):
    """(stored array, rows): the whole array when it has at most max_rows rows viewed as [-1, last dim], else an
    evenly spaced subset of rows that always includes the first and the last (rows lists their indices)."""
    array = np.asarray(array, dtype=np.float32)
    if array.ndim < 2 or max_rows is None:
        return array, None
    flat = array.reshape(-1, array.shape[-1])
    if flat.shape[0] <= max_rows:
        return array, None
    rows = sorted(set(np.linspace(0, flat.shape[0] - 1, max_rows).round().astype(np.int64).tolist()))
    return flat[rows], rows


def write_fixture(directory, manifest, stages, tensors_file="reference.safetensors"):
    """Writes directory/tensors_file with one F32 tensor per stage and directory/manifest.json describing them.

    stages: list of (name, array, description, max_rows). Each manifest stage entry carries the full logical shape;
    when max_rows is not None and a stage has more rows, only a subset of its rows is stored (see select_rows).
    """
    os.makedirs(directory, exist_ok=True)
    stored = {}
    entries = []
    for name, array, description, max_rows in stages:
        array = np.asarray(array, dtype=np.float32)
        kept, rows = select_rows(array, max_rows)
        stored[name] = kept
        entry = {"name": name, "shape": list(array.shape), "stored_shape": list(kept.shape), "dtype": "F32",
                 "rows": rows, "description": description}
        entries.append(entry)
    path = os.path.join(directory, tensors_file)
    write_safetensors(path, stored, {"format": FIXTURE_FORMAT})
    manifest = dict(manifest)
    manifest["format"] = FIXTURE_FORMAT
    manifest["tensors_file"] = tensors_file
    manifest["tensors_sha256"] = sha256_of(path)
    manifest["stages"] = entries
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        f.write(dump_manifest(manifest))
    return path


def dump_manifest(manifest):
    """JSON with two-space indent, but lists of numbers kept on one line (ids, rows, shapes stay readable)."""
    def render(value, indent):
        pad = "  " * indent
        if isinstance(value, dict):
            if not value:
                return "{}"
            items = ["%s  %s: %s" % (pad, json.dumps(k), render(v, indent + 1)) for k, v in value.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            items = ["%s  %s" % (pad, render(v, indent + 1)) for v in value]
            return "[\n" + ",\n".join(items) + "\n" + pad + "]"
        return json.dumps(value)
    text = render(manifest, 0) + "\n"
    json.loads(text)
    return text
