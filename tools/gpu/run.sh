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

# The Vulkan loader and GL dispatch libraries (NVIDIA's Vulkan ICD is libGLX_nvidia.so.0, which needs
# libGLdispatch): the system's if it has them, else Debian's from the pack — installed system-wide when we are
# root and have dpkg, unpacked beside the pack otherwise.
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libGLdispatch.so.0 ' || ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  if [[ $(id -u) == 0 ]] && command -v dpkg >/dev/null; then
    for deb in "$out"/*.deb; do dpkg -x "$deb" /; done
    /sbin/ldconfig
  else
    root="$out/vulkan-root"
    mkdir -p "$root"
    for deb in "$out"/*.deb; do
      if command -v dpkg >/dev/null; then dpkg -x "$deb" "$root"; else (cd "$root" && ar x "../$(basename "$deb")" && tar -xf data.tar.* && rm -f data.tar.* control.tar.* debian-binary); fi
    done
    export LD_LIBRARY_PATH="$PWD/$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
fi

export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
export __EGL_VENDOR_LIBRARY_FILENAMES="${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}"
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
