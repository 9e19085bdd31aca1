#!/usr/bin/python3
"""PyTorch CPU baseline for the DyCoke.Bench gemm verb: times torch.nn.functional.linear(x[M,K], W[N,K]) in F32.

Usage: /usr/bin/python3 bench/torch_gemm.py --threads 2 --reps 9 --shapes 1x896x4864,729x1152x4304 [--rotate-mb 384]
Prints one JSON object: {"torch": version, "threads": n, "results": [{"m","k","n","median_s"}...]}.
With --rotate-mb, shapes with M <= 16 cycle through enough weight copies to exceed the last-level cache, as the
C# side does, so decode-sized products are timed from memory rather than from L3.
"""
import argparse
import json
import statistics
import time

import torch


def time_linear(m, k, n, reps, rotate_bytes):
    x = torch.rand(m, k, dtype=torch.float32) * 2 - 1
    copies = 1
    if rotate_bytes and m <= 16:
        copies = max(1, -(-rotate_bytes // (n * k * 4)))
    weights = [torch.rand(n, k, dtype=torch.float32) * 2 - 1 for _ in range(copies)]
    y = torch.empty(m, n, dtype=torch.float32)
    for i in range(max(2, copies)):  # warm-up (and touch every copy once)
        torch.nn.functional.linear(x, weights[i % copies], out=y)
    samples = []
    call = 0
    for _ in range(reps):
        # Each sample covers one pass over all copies (at least one call), like the C# side.
        calls = copies
        start = time.perf_counter()
        for _ in range(calls):
            torch.nn.functional.linear(x, weights[call % copies], out=y)
            call += 1
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--shapes", required=True, help="comma-separated MxKxN")
    parser.add_argument("--rotate-mb", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    with torch.no_grad():
        for shape in args.shapes.split(","):
            m, k, n = (int(v) for v in shape.split("x"))
            results.append({"m": m, "k": k, "n": n, "median_s": time_linear(m, k, n, args.reps, args.rotate_mb * 1024 * 1024)})
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "results": results}))


if __name__ == "__main__":
    main()
