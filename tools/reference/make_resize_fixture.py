#!/usr/bin/python3
"""Writes tests/fixtures/media/resize/: Pillow's BICUBIC resize to 384x384 of frames decoded by ffmpeg (issue 6).

Each case stores its input frame exactly as DyCoke.Media receives it from ffmpeg (rgb24 or rgba over a pipe, decoded
from a testsrc2 clip encoded here), and Pillow's result, both as gzip-compressed raw interleaved uint8 [H, W, C].
RGBA inputs are first composited over white as transformers' convert_to_rgb does (Image.alpha_composite over an
opaque white RGBA image, then convert("RGB")). Two "noise" cases stress rounding and clamping with a seeded random
0/255 pattern that the C# test can also regenerate (same LCG). manifest.json records sizes, sha256 and versions.

Run from the repository root: /usr/bin/python3 tools/reference/make_resize_fixture.py
"""
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import PIL
from PIL import Image

OUT = os.path.join("tests", "fixtures", "media", "resize")
SIZE = 384

# name, width, height, encoder arguments, pixel format asked of the decoder
CLIP_CASES = [
    ("h264_320x240", 320, 240, ["-c:v", "libx264", "-pix_fmt", "yuv420p"], "rgb24"),
    ("h264_1280x720", 1280, 720, ["-c:v", "libx264", "-pix_fmt", "yuv420p"], "rgb24"),
    ("vp9_321x241", 321, 241, ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-deadline", "realtime"], "rgb24"),
    ("h264_97x55_upscale", 97, 55, ["-c:v", "libx264", "-pix_fmt", "yuv444p"], "rgb24"),
    ("h264_640x384_width_only", 640, 384, ["-c:v", "libx264", "-pix_fmt", "yuv420p"], "rgb24"),
    ("h264_384x216_height_only", 384, 216, ["-c:v", "libx264", "-pix_fmt", "yuv420p"], "rgb24"),
    ("h264_384x384_identity", 384, 384, ["-c:v", "libx264", "-pix_fmt", "yuv420p"], "rgb24"),
    ("ffv1_200x150_rgba", 200, 150, ["-c:v", "ffv1", "-pix_fmt", "bgra"], "rgba"),
]
# name, width, height, seed (see lcg_noise; the C# test has the same generator)
NOISE_CASES = [
    ("noise_523x311_down", 523, 311, 1),
    ("noise_61x43_up", 61, 43, 2),
]


def lcg_noise(width, height, seed):
    """Bytes of 0 or 255 from x <- (1103515245 x + 12345) mod 2^31, bit 16 of each state, [H, W, 3]."""
    x = seed
    out = bytearray(width * height * 3)
    for i in range(len(out)):
        x = (1103515245 * x + 12345) % (1 << 31)
        out[i] = 255 if (x >> 16) & 1 else 0
    return bytes(out)


def decoded_frame(tmp, name, width, height, encoder, pix_fmt):
    clip = os.path.join(tmp, name + ".mkv")
    # format=rgb24 first: testsrc2 would otherwise round odd sizes down to even ones for a 4:2:0 encoder.
    source = f"testsrc2=size={width}x{height}:rate=10:duration=1,format=rgb24"
    if pix_fmt == "rgba":
        # A horizontal alpha ramp (0 at the left edge, 255 at the right) so every alpha level is exercised.
        source += ",format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='255*X/(W-1)'"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, *encoder, clip], check=True)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", clip, "-vf", "select='eq(n,3)'", "-fps_mode", "passthrough", "-frames:v", "1",
         "-pix_fmt", pix_fmt, "-f", "rawvideo", "pipe:1"], check=True, capture_output=True).stdout
    channels = 4 if pix_fmt == "rgba" else 3
    assert len(raw) == width * height * channels, (name, len(raw))
    return raw, channels


def pil_reference(raw, width, height, channels):
    if channels == 4:
        image = Image.frombytes("RGBA", (width, height), raw)
        white = Image.new("RGBA", image.size, (255, 255, 255))
        image = Image.alpha_composite(white, image).convert("RGB")
    else:
        image = Image.frombytes("RGB", (width, height), raw)
    return image.resize((SIZE, SIZE), resample=Image.BICUBIC).tobytes()


def write_gz(path, data):
    # mtime=0 keeps the files byte-identical between runs.
    with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
        g.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    ffmpeg_version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.splitlines()[0]
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = [(n, w, h, *decoded_frame(tmp, n, w, h, e, p)) for n, w, h, e, p in CLIP_CASES]
    inputs += [(n, w, h, lcg_noise(w, h, s), 3) for n, w, h, s in NOISE_CASES]
    for name, width, height, raw, channels in inputs:
        expected = pil_reference(raw, width, height, channels)
        case = {"name": name, "width": width, "height": height, "channels": channels,
                "output": f"{name}.out.rgb.gz", "output_sha256": hashlib.sha256(expected).hexdigest()}
        if name.startswith("noise_"):
            case["noise_seed"] = dict((n, s) for n, _, _, s in NOISE_CASES)[name]
        else:
            case["input"] = f"{name}.in.raw.gz"
            write_gz(os.path.join(OUT, case["input"]), raw)
        write_gz(os.path.join(OUT, case["output"]), expected)
        cases.append(case)
    manifest = {
        "description": "PIL Image.resize((384, 384), BICUBIC) of ffmpeg-decoded frames; raw interleaved uint8 [H, W, C], gzip",
        "command": "/usr/bin/python3 tools/reference/make_resize_fixture.py",
        "pillow_version": PIL.__version__,
        "ffmpeg_version": ffmpeg_version,
        "noise": "x <- (1103515245 x + 12345) mod 2^31 from x = seed; byte = 255 if bit 16 of x else 0; [H, W, 3]",
        "cases": cases,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT} (Pillow {PIL.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
