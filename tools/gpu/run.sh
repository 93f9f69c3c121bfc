#!/usr/bin/env bash
# Runs the kernel benchmark (and optionally one more `bridgetower` command) on a machine prepared by nothing but
# tools/gpu/pack.sh's output: no Node, no network, a Vulkan driver. Run from the repository root:
#   tools/gpu/run.sh                      adapter info, then `bridgetower bench kernels`
#   tools/gpu/run.sh verify weights/demo  the same, then `bridgetower verify weights/demo`
# The Vulkan driver defaults to NVIDIA's ICD at /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; set
# VK_DRIVER_FILES to use another (e.g. /usr/lib/chromium/vk_swiftshader_icd.json to try this script on a CPU).
# BENCH_ARGS adds options to the benchmark (e.g. BENCH_ARGS="--iterations 100").
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tools/gpu/out
[[ -f "$out/node.xz" || -x "$out/node" ]] || { echo "run.sh: $out is missing; run tools/gpu/pack.sh and carry $out" >&2; exit 1; }

# Unpack once: Node and Dawn travel xz-compressed.
if [[ ! -x "$out/node" ]]; then xz -dc "$out/node.xz" > "$out/node.tmp" && chmod +x "$out/node.tmp" && mv "$out/node.tmp" "$out/node"; fi
dawn="$out/node_modules/webgpu/dist/linux-x64/dawn.node"
if [[ ! -f "$dawn" ]]; then xz -dc "$dawn.xz" > "$dawn.tmp" && mv "$dawn.tmp" "$dawn"; fi

# The Vulkan loader: the system's if it has one, else Debian's libvulkan1 from the pack — installed system-wide
# when we are root and have dpkg, unpacked beside the pack otherwise.
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  deb=$(ls "$out"/libvulkan1_*.deb | head -n 1)
  if [[ $(id -u) == 0 ]] && command -v dpkg >/dev/null; then
    dpkg -x "$deb" /
    /sbin/ldconfig
  else
    root="$out/vulkan-root"
    mkdir -p "$root"
    if command -v dpkg >/dev/null; then
      dpkg -x "$deb" "$root"
    else
      (cd "$root" && ar x "../$(basename "$deb")" && tar -xf data.tar.*)
    fi
    export LD_LIBRARY_PATH="$PWD/$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
fi

export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
unset VK_ICD_FILENAMES
[[ -f "$VK_DRIVER_FILES" ]] || echo "run.sh: warning: no Vulkan driver manifest at $VK_DRIVER_FILES" >&2

echo "== machine: $(uname -srm); $(nproc) CPUs"
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/== GPU: /'; fi
echo "== Vulkan driver manifest: $VK_DRIVER_FILES"
node="$out/node"
cli="$out/bin/bridgetower.mjs"
# shellcheck disable=SC2086
"$node" "$cli" bench kernels ${BENCH_ARGS:-}
if (( $# > 0 )); then
  echo "== bridgetower $*"
  "$node" "$cli" "$@"
fi
