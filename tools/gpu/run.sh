#!/usr/bin/env bash
# Runs the kernel benchmark (and optionally one more `bridgetower` command) on a machine prepared by nothing but
# tools/gpu/pack.sh's output: no Node, no network, a Vulkan driver. Run from the repository root:
#   tools/gpu/run.sh                      adapter info, then `bridgetower bench kernels`
#   tools/gpu/run.sh verify weights/demo  the same, then `bridgetower verify weights/demo`
# The Vulkan driver defaults to NVIDIA's ICD at /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; set
# VK_DRIVER_FILES to use another (e.g. /usr/lib/chromium/vk_swiftshader_icd.json to try this script on a CPU).
# BENCH_ARGS adds options to the benchmark (e.g. BENCH_ARGS="--iterations 100").
set -euo pipefail
# shellcheck source=tools/gpu/env.sh
source "$(dirname "$0")/env.sh"

echo "== machine: $(uname -srm); $(nproc) CPUs"
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/== GPU: /'; fi
echo "== Vulkan driver manifest: $VK_DRIVER_FILES"
# shellcheck disable=SC2086
"$node" "$cli" bench kernels ${BENCH_ARGS:-}
if (( $# > 0 )); then
  echo "== bridgetower $*"
  "$node" "$cli" "$@"
fi
