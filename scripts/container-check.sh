#!/usr/bin/env bash
# CI check of the Dockerfile: builds the cpu target with podman from local base images (no container registry is
# reachable in CI), runs it on loopback and checks /health, the image's HEALTHCHECK, API-key auth, a streamed chat
# completion with a video, the DyCoke counters in /metrics and a clean SIGTERM drain. Always removes its container.
#
# Base images: a Debian rootfs made with debootstrap and imported (the run-time base), and the same rootfs plus this
# machine's .NET SDK and CA bundle (the SDK base; the CA bundle lets the build stage's `dotnet restore` reach NuGet
# through a TLS-inspecting egress proxy). The rootfs is cached in $DYCOKE_CI_CACHE (default /var/cache/dycoke-ci):
# delete it to start from scratch. Needs root (or sudo) for apt, debootstrap and rootful podman.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
cache=${DYCOKE_CI_CACHE:-/var/cache/dycoke-ci}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
image=localhost/dycoke-server:ci-cpu
name=dycoke-ci-$$
api_key=ci-key-$$
log() { echo "container-check: $*"; }
elapsed() { echo $(($(date +%s) - started)); }

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  log "needs root or sudo (apt, debootstrap, rootful podman)" >&2; exit 1
fi

# --- tools: podman with runc (crun fails on these machines), CNI bridge + iptables for -p, debootstrap ---------------
packages=(podman runc containernetworking-plugins iptables debootstrap ca-certificates ffmpeg curl python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
$sudo mkdir -p "$cache"
# Our own configuration file (CONTAINERS_CONF replaces the system ones) so nothing global changes: runc as the
# runtime and no default ulimits (podman's default nofile limit cannot be applied here).
$sudo tee "$cache/containers.conf" >/dev/null <<'CONF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$cache/containers.conf"
podman() { $sudo env CONTAINERS_CONF="$CONTAINERS_CONF" podman "$@"; }

# --- local base images -----------------------------------------------------------------------------------------------
rootfs="$cache/rootfs-$suite"
if [ ! -f "$rootfs/etc/os-release" ]; then
  log "debootstrap $suite (minbase) from $mirror"
  $sudo rm -rf "$rootfs.partial"
  $sudo debootstrap --variant=minbase --include=ca-certificates "$suite" "$rootfs.partial" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 30 "$cache/debootstrap.log" >&2; exit 1; }
  $sudo rm -rf "$rootfs" && $sudo mv "$rootfs.partial" "$rootfs"
fi
base_image=localhost/dycoke-ci/debian:$suite
if ! podman image exists "$base_image"; then
  log "importing $base_image"
  $sudo tar -C "$rootfs" -cf - . | podman import -q - "$base_image" >/dev/null
fi

# The SDK image is tagged by this machine's SDK version, so a new SDK makes a new image.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
sdk_image=localhost/dycoke-ci/sdk:$(dotnet --version)
if ! podman image exists "$sdk_image"; then
  log "importing $sdk_image (the rootfs + $dotnet_root + this machine's CA bundle)"
  rel=${dotnet_root#/}
  # One archive: the rootfs without its CA bundle, the SDK renamed to /usr/share/dotnet, this machine's CA bundle.
  $sudo tar -cf - --exclude=./etc/ssl/certs/ca-certificates.crt -C "$rootfs" . \
      --transform "s,^$rel,usr/share/dotnet," -C / "$rel" etc/ssl/certs/ca-certificates.crt \
    | podman import --change 'ENV PATH=/usr/share/dotnet:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV DOTNET_ROOT=/usr/share/dotnet' --change 'ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1' \
        -q - "$sdk_image" >/dev/null
fi
log "base images ready after $(elapsed) s"

# --- build the cpu target ---------------------------------------------------------------------------------------------
# --format docker keeps HEALTHCHECK (the OCI image format has no such field).
log "building $image (--target cpu)"
podman build --format docker --target cpu \
  --build-arg SDK_IMAGE="$sdk_image" --build-arg CPU_IMAGE="$base_image" -t "$image" . >"$cache/build.log" 2>&1 \
  || { tail -n 60 "$cache/build.log" >&2; log "build failed (full log: $cache/build.log)" >&2; exit 1; }
log "built after $(elapsed) s"

# --- run it on loopback -----------------------------------------------------------------------------------------------
work=$(mktemp -d)
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    log "failed; container log:" >&2
    podman logs "$name" 2>&1 | tail -n 40 >&2 || true
  fi
  podman rm -f -t 5 "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
# A random free host port on 127.0.0.1; a read-only root file system as in the Kubernetes Deployment (the image's
# volumes and podman's /tmp tmpfs stay writable). The automatic health-check timer needs systemd, so it is off and the
# check runs on demand below (the command is the image's HEALTHCHECK); podman's complaint about systemd goes to a file.
podman run -d --name "$name" -p 127.0.0.1::8000 --read-only --health-interval disable \
  -e DYCOKE__Server__ApiKeys__0="$api_key" -e DYCOKE__Server__DrainSeconds=10 "$image" >/dev/null 2>"$work/podman-run.err" \
  || { cat "$work/podman-run.err" >&2; exit 1; }
url="http://$(podman port "$name" 8000/tcp | head -n 1)"
log "container $name on $url"

for _ in $(seq 1 120); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health" || true)" = 200 ] && break
  [ "$(podman inspect -f '{{.State.Running}}' "$name")" = true ] || { log "the container exited" >&2; exit 1; }
  sleep 1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" = 200 ] || { log "/health never answered 200" >&2; exit 1; }
log "healthy after $(elapsed) s"
podman healthcheck run "$name" >/dev/null || { log "podman healthcheck run failed" >&2; exit 1; }

# A 2 s, 64x64 test clip as a data: URL, streamed with usage.
ffmpeg -v error -y -f lavfi -i testsrc=duration=2:size=64x64:rate=8 -pix_fmt yuv420p "$work/clip.mp4"
python3 - "$work/clip.mp4" >"$work/request.json" <<'PY'
import base64, json, sys
video = "data:video/mp4;base64," + base64.b64encode(open(sys.argv[1], "rb").read()).decode()
print(json.dumps({"messages": [{"role": "user", "content": [
    {"type": "video_url", "video_url": {"url": video}}, {"type": "text", "text": "What happens in this video?"}]}],
    "max_tokens": 8, "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}))
PY
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/chat/completions" -H 'Content-Type: application/json' --data-binary @"$work/request.json")
[ "$status" = 401 ] || { log "a request without the API key got $status, expected 401" >&2; exit 1; }
curl -sSN --max-time 300 "$url/v1/chat/completions" -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \
  --data-binary @"$work/request.json" >"$work/stream.txt"
python3 - "$work/stream.txt" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l.strip()]
bad = [l for l in lines if not l.startswith("data: ")]
assert not bad, f"non-SSE lines: {bad[:3]}"
payloads = [l[len("data: "):] for l in lines]
assert payloads[-1] == "[DONE]", f"stream does not end with [DONE]: {payloads[-1][:200]}"
chunks = [json.loads(p) for p in payloads[:-1]]
choices = [c["choices"][0] for c in chunks if c.get("choices")]
assert choices and choices[0]["delta"].get("role") == "assistant", "first chunk carries no assistant role"
content = "".join(c["delta"].get("content") or "" for c in choices)
assert content, "no content streamed"
finish = [c["finish_reason"] for c in choices if c.get("finish_reason")]
assert len(finish) == 1 and finish[0] in ("length", "stop"), f"finish reasons {finish}"
usage = [c["usage"] for c in chunks if c.get("usage")]
assert usage and 1 <= usage[-1]["completion_tokens"] <= 8, f"usage {usage}"
# The prompt holds the video's rows: after DyCoke's merging still far more than the text alone.
assert usage[-1]["prompt_tokens"] > 1000, f"prompt tokens {usage[-1]['prompt_tokens']}: was the video dropped?"
print(f"container-check: stream ok: {len(choices)} chunks, usage {json.dumps(usage[-1])}")
PY
metrics=$(curl -s "$url/metrics")
before=$(awk '/^dycoke:video_tokens_before_ttm_total/ {print $2}' <<<"$metrics")
after=$(awk '/^dycoke:video_tokens_after_ttm_total/ {print $2}' <<<"$metrics")
[ "${before:-0}" -gt "${after:-0}" ] && [ "${after:-0}" -gt 0 ] \
  || { log "DyCoke did not merge video tokens (before ${before:-?}, after ${after:-?})" >&2; exit 1; }
log "DyCoke merged $before video tokens to $after"

# SIGTERM drains and exits 0 well inside the stop timeout.
podman stop -t 30 "$name" >/dev/null 2>&1
code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
# The whole log first: under pipefail, `podman logs | grep -q` fails whenever grep stops reading early (SIGPIPE).
stopped_log=$(podman logs "$name" 2>&1)
grep -q "Draining" <<<"$stopped_log" || { log "no drain logged on SIGTERM" >&2; exit 1; }
[ "$code" = 0 ] || { log "exit code $code after SIGTERM" >&2; exit 1; }
log "passed in $(elapsed) s"
