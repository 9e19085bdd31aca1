#!/bin/sh
# Run-time set-up shared by the Dockerfile's cpu and cuda targets, so both get identical steps on any Debian or Ubuntu
# base: ffmpeg/ffprobe (video decoding), OpenBLAS (fast CPU GEMM), curl (the health check), CA certificates (https
# video URLs), the non-root user and the writable cache directories.
set -eu
export DEBIAN_FRONTEND=noninteractive

apt-get update
apt-get install -y --no-install-recommends ca-certificates curl ffmpeg libopenblas0-pthread
apt-get clean
rm -rf /var/lib/apt/lists/*

# A fixed uid/gid, so volume ownership and Kubernetes' runAsUser/fsGroup can name it.
groupadd --gid 10001 dycoke
useradd --no-log-init --uid 10001 --gid dycoke --home-dir /var/cache/dycoke --no-create-home --shell /usr/sbin/nologin dycoke

# /models is mounted read-only; /var/cache/dycoke holds the demo checkpoint and the NVRTC kernel cache and must be
# writable by the user (a named volume copies this ownership on first use).
mkdir -p /models /var/cache/dycoke/demo-model /var/cache/dycoke/kernels
chown -R dycoke:dycoke /var/cache/dycoke
