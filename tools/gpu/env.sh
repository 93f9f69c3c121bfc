# Sourced by tools/gpu/run.sh and tools/gpu/matrix.sh: unpacks tools/gpu/pack.sh's output (Node and Dawn travel
# xz-compressed), makes the Vulkan loader and GL dispatch libraries available, points Vulkan at NVIDIA's driver
# unless VK_DRIVER_FILES names another, and sets $node and $cli (the `bridgetower` CLI of the pack).
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=tools/gpu/out
[[ -f "$out/node.xz" || -x "$out/node" ]] || { echo "${0##*/}: $out is missing; run tools/gpu/pack.sh and carry $out" >&2; exit 1; }

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
[[ -f "$VK_DRIVER_FILES" ]] || echo "${0##*/}: warning: no Vulkan driver manifest at $VK_DRIVER_FILES" >&2

node="$out/node"
cli="$out/bin/bridgetower.mjs"
