#!/usr/bin/env bash
# The tests need two system packages beyond Node: Debian's chromium (the browser the e2e tests drive,
# whose SwiftShader also gives WebGPU without a GPU) and libvulkan1 (the Vulkan loader Dawn opens in Node).
# Installs them with apt-get when missing and running as root; otherwise says what to install.
set -euo pipefail
need=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
# The cache is read whole before matching: `ldconfig -p | grep -q` under pipefail fails at random, because
# grep exits at the first match and ldconfig then dies of SIGPIPE.
libs=$({ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null || true)
[[ $libs == *libvulkan.so.1* ]] || need+=(libvulkan1)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "missing system packages: ${need[*]} — install them (Debian/Ubuntu: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
