#!/usr/bin/env bash
# The GPU benchmark matrix of issue 17 (item 7), on a machine prepared by nothing but tools/gpu/pack.sh's output
# (no Node, no network, an NVIDIA GPU with its Vulkan driver), in at most ~8 minutes. Run from the repository root:
#   tools/gpu/matrix.sh [--quick] [RESULTS_DIR]       (RESULTS_DIR: default $OUT, else tools/gpu/results)
# Writes to RESULTS_DIR one text file per step and summary.tsv (step, status, seconds, command):
#   machine.txt              uname, CPUs, nvidia-smi, the Vulkan driver manifest
#   kernels.txt              `bench kernels` for every kernel, variant and weight dtype: the kernel table
#   model-<S>px-b<B>.txt     `bench-model --preset base-vqa` at S = 288 and 576 px, B = 1 and 8, with f32, f16
#                            weights, q8 and q4 in one process (their ratios at the end); f16 compute as its own
#                            run where bench-model offers it (`--compute f16`; see README "f16 compute")
#   verify-<fixture>.txt     `verify` of every golden fixture under test/fixtures (f32 from its own weights)
# Each step has a time cap (kernels 100 s, each model row 70 s, each fixture 8 s: under 8 minutes in all), so a
# hung or slow step costs its cap and the matrix goes on. Options bench-model does
# not have yet (--image-size, --compute, --json) are detected from its --help; the rows that need them are then
# recorded as skipped with the reason.
# --quick: a tiny configuration to check the script end to end on a CPU adapter (VK_DRIVER_FILES=
# /usr/lib/chromium/vk_swiftshader_icd.json): the base-reduced preset, B = 1, one dtype, one kernel, one fixture
# (on a loaded 2-core machine its model row takes several minutes, mostly generating 159M random weights).
set -euo pipefail
quick=0
if [[ "${1:-}" == --quick ]]; then
  quick=1
  shift
fi
results="${1:-${OUT:-tools/gpu/results}}"
mkdir -p "$results"
results="$(cd "$results" && pwd)"
# shellcheck source=tools/gpu/env.sh
source "$(dirname "$0")/env.sh"

summary="$results/summary.tsv"
printf 'step\tstatus\tseconds\tcommand\n' > "$summary"
# step NAME CAP_SECONDS ARGS...: `bridgetower ARGS` into NAME.txt, at most CAP_SECONDS.
step() {
  local name=$1 cap=$2
  shift 2
  local t0=$SECONDS status=ok
  echo "== $name: bridgetower $*"
  timeout "$cap" "$node" "$cli" "$@" > "$results/$name.txt" 2>&1 || status="failed (exit $?)"
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - t0))" "bridgetower $*" >> "$summary"
  tail -n 4 "$results/$name.txt" | sed 's/^/   /'
}
skip() {
  printf '%s\tskipped: %s\t0\t\n' "$1" "$2" >> "$summary"
  echo "== $1: skipped ($2)"
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(uname -srm); $(nproc) CPUs"
  if command -v nvidia-smi > /dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; fi
  echo "Vulkan driver manifest: $VK_DRIVER_FILES"
} > "$results/machine.txt"
cat "$results/machine.txt"

help=$("$node" "$cli" bench-model --help 2>&1 || true)
has() { grep -q -- "$1" <<< "$help"; }

if ((quick)); then
  preset=base-reduced sizes=(288) batches=(1) dtypes=f32 iterations=1 cap=900
  kernel_args=(--kernel add --iterations 1)
  fixtures=(tiny)
else
  preset=base-vqa sizes=(288 576) batches=(1 8) dtypes=f32,f16,q8,q4 iterations=3 cap=70
  kernel_args=(--weights f32,f16,q8,q4)
  fixtures=()
  for d in test/fixtures/*/; do [[ -f "$d/expected.safetensors" ]] && fixtures+=("$(basename "$d")"); done
fi
json=()
if has '--json'; then json=(--json); fi

step kernels $((quick ? 300 : 100)) bench kernels "${kernel_args[@]}"

for S in "${sizes[@]}"; do
  size=()
  if ((S != 288)); then
    if ! has '--image-size'; then
      skip "model-${S}px" "bench-model has no --image-size"
      continue
    fi
    size=(--image-size "$S")
  fi
  for B in "${batches[@]}"; do
    common=(--preset "$preset" --batch "$B" --iterations "$iterations" "${size[@]}" "${json[@]}")
    step "model-${S}px-b${B}" "$cap" bench-model "${common[@]}" --dtype "$dtypes"
    if ((quick)); then continue; fi
    if has '--compute'; then
      step "model-${S}px-b${B}-f16-compute" "$cap" bench-model "${common[@]}" --dtype f16 --compute f16
    else
      skip "model-${S}px-b${B}-f16-compute" "bench-model has no --compute (f16 compute is not built yet)"
    fi
  done
done

for f in "${fixtures[@]}"; do
  step "verify-$f" $((quick ? 300 : 8)) verify "test/fixtures/$f"
done

echo "== summary ($results/summary.tsv)"
column -t -s $'\t' "$summary" 2> /dev/null || cat "$summary"
