#!/usr/bin/env bash
# GPU check for hosts without .NET (issue #3).
#   scripts/gpu-check.sh publish      on a machine with the .NET SDK: builds a self-contained, trimmed linux-x64
#                                     single-file harness into publish/gpu-harness/ (about 15-20 MB; copy it over)
#   scripts/gpu-check.sh run [DIR]    on the GPU host: runs the backend self-test (every op, CUDA vs CPU, per dtype)
#                                     and the GPU micro-benchmarks, writing DIR/selftest.txt, DIR/gpu-bench.txt and
#                                     DIR/environment.txt (DIR defaults to $OUT or ./gpu-report). Exits non-zero when
#                                     the self-test fails.
# The harness finds libcuda.so.1 via the loader, cuBLAS/NVRTC 13 or 12 via LD_LIBRARY_PATH, CUDA_HOME,
# DYCOKE_CUDA_LIB_DIR or a Python venv's site-packages/nvidia/*/lib (this script exports the venv's dirs it finds).
set -euo pipefail
cd "$(dirname "$0")/.."
harness=publish/gpu-harness/DyCoke.Bench

case "${1:-}" in
  publish)
    dotnet publish bench/DyCoke.Bench -c Release -r linux-x64 --self-contained \
      -p:PublishSingleFile=true -p:PublishTrimmed=true -p:EnableCompressionInSingleFile=true \
      -p:InvariantGlobalization=true -o publish/gpu-harness -nologo
    ls -la publish/gpu-harness
    ;;
  run)
    out=${2:-${OUT:-gpu-report}}
    mkdir -p "$out"
    [ -x "$harness" ] || { echo "gpu-check: $harness missing; run 'scripts/gpu-check.sh publish' first" >&2; exit 2; }
    # Make pip-installed CUDA libraries (torch's nvidia-* wheels) visible without a toolkit install.
    for site in $(python3 -c 'import site,sys; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
      for lib in "$site"/nvidia/*/lib; do [ -d "$lib" ] && export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"; done
    done
    { date -u; uname -a; nvidia-smi || true; ldconfig -p | grep -E 'libcuda|cublas|nvrtc' || true; echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"; } > "$out/environment.txt" 2>&1
    status=0
    "$harness" selftest 2>&1 | tee "$out/selftest.txt" || status=$?
    "$harness" gpu 2>&1 | tee "$out/gpu-bench.txt" || status=$((status == 0 ? $? : status))
    exit $status
    ;;
  *)
    sed -n '2,12p' "$0"; exit 2 ;;
esac
