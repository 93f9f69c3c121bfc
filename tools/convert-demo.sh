#!/usr/bin/env bash
# Rebuild weights/demo/ (the bundled default model) from the demo checkpoint and its tokenizer and labels.
# Usage: tools/convert-demo.sh [demo-model-dir]   (default: ../shared/demo-model)
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-../shared/demo-model}"
[ -f dist/cli.mjs ] || npm run build
node bin/bridgetower.mjs convert "$src/model.ckpt" --out weights/demo \
  --vocab "$src/vocab.json" --merges "$src/merges.txt" --labels "$src/vqa_labels.json"
