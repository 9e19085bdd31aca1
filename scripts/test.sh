#!/usr/bin/env bash
# The test command: builds the solution once (warnings are errors through Directory.Build.props, except NU1603),
# runs every test project, then re-runs the SIMD-sensitive projects with narrower instruction sets so the AVX2,
# Vector128 and scalar fallbacks are exercised too (AVX-512 hosts would otherwise never run them).
# Prints one closing line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || echo "test.sh: system packages incomplete; tests that need them will be skipped"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build DyCoke.Server.sln -c Release -nologo -v q || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; skipped=0; status=0
run() {  # run LABEL ENV... -- PROJECT
  local label=$1; shift
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  local log; log=$(mktemp)
  echo "== $label: $1"
  env "${envs[@]}" dotnet test "$1" -c Release --no-build -nologo 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # VSTest summary: "Passed!  - Failed:     0, Passed:    57, Skipped:     0, Total:    57, Duration: ..."
  local line; line=$(grep -E "(Passed|Failed)! +- Failed: " "$log" | tail -n 1)
  if [ -z "$line" ]; then status=1; failed=$((failed + 1)); echo "test.sh: no summary from $1 ($label)";
  else
    passed=$((passed + $(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.*Failed: *([0-9]+),.*/\1/' <<<"$line")))
    skipped=$((skipped + $(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")))
  fi
  [ "$rc" -eq 0 ] || status=1
  rm -f "$log"
}

for project in tests/*.Tests/; do
  run "default SIMD" DOTNET_TieredPGO=1 -- "$project"
done
for project in tests/DyCoke.Tensors.Tests tests/DyCoke.Model.Tests tests/DyCoke.Media.Tests; do
  run "AVX-512 off" DOTNET_EnableAVX512=0 -- "$project"
  run "AVX2 off" DOTNET_EnableAVX2=0 -- "$project"
  run "no hardware intrinsics" DOTNET_EnableHWIntrinsic=0 -- "$project"
done

echo "$passed passed, $failed failed, $skipped skipped"
exit $status
