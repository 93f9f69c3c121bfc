#!/usr/bin/env bash
# Packs what `tools/gpu/run.sh` needs on a Linux x86-64 machine that has a GPU and a Vulkan driver but no Node,
# no npm and no network, into tools/gpu/out/ (gitignored; carry it along with the working tree):
#   node.xz                 this machine's Node binary, xz-compressed
#   node_modules/webgpu/    Dawn for Node: index.js, package.json, dist/linux-x64/dawn.node (xz-compressed)
#   *.deb                   Debian's Vulkan loader and the GL vendor-neutral dispatch libraries that NVIDIA's
#                           Vulkan ICD (libGLX_nvidia.so.0) links against (`apt-get download ...`)
#   bin/, dist/             the `bridgetower` CLI bundle (npm run build), without the browser app and source maps
# Run from the repository root after `npm install`: tools/gpu/pack.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tools/gpu/out
limit=$((64 * 1024 * 1024))

[[ "$(uname -sm)" == "Linux x86_64" ]] || { echo "pack.sh: packs linux-x64 binaries; this is $(uname -sm)" >&2; exit 1; }
[[ -f node_modules/webgpu/dist/linux-x64/dawn.node ]] || { echo "pack.sh: node_modules/webgpu is missing; run npm install" >&2; exit 1; }

npm run build --silent
rm -rf "$out"
mkdir -p "$out/node_modules/webgpu/dist/linux-x64" "$out/bin" "$out/dist"

xz -T0 -6 -c "$(command -v node)" > "$out/node.xz"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/node_modules/webgpu/"
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$out/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
(cd "$out" && apt-get download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 >/dev/null 2>&1)
cp bin/bridgetower.mjs "$out/bin/"
cp dist/cli.mjs "$out/dist/"
# The CLI's lazily loaded chunks, where the build splits any off.
if [[ -d dist/assets ]]; then
  mkdir -p "$out/dist/assets"
  find dist/assets -maxdepth 1 -name '*.js' -exec cp {} "$out/dist/assets/" \;
fi
printf '{ "type": "module" }\n' > "$out/package.json"

total=$(du -sb "$out" | cut -f1)
echo "pack.sh: $out is $((total / 1024 / 1024)) MiB:"
(cd "$out" && find . -type f -size +100k -exec ls -l {} \; | awk '{print "  " $5 "\t" $9}')
if (( total > limit )); then
  echo "pack.sh: over the 64 MiB a device run can carry" >&2
  exit 1
fi
