#!/usr/bin/env bash
# Maintainers' command: rebuild weights/demo/ (the bundled default model, already converted in the repository)
# from the demo model's training output, which is not in the repository: model.ckpt, vocab.json, merges.txt
# and vqa_labels.json in one folder.
# Its config names the tokenizer "demo-bpe", which does not say the text tower is RoBERTa: --text-tower says so.
# Usage: tools/convert-demo.sh [demo-model-dir] [out-dir]
#   demo-model-dir  default ../shared/demo-model, beside the maintainers' checkout
#   out-dir         default weights/demo; CI converts into a temporary folder and compares it with weights/demo
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-../shared/demo-model}"
out="${2:-weights/demo}"
for f in model.ckpt vocab.json merges.txt vqa_labels.json; do
  if [ ! -f "$src/$f" ]; then
    echo "convert-demo: no $src/$f. This is a maintainers' command: it needs the demo model's training output" \
      "(model.ckpt, vocab.json, merges.txt, vqa_labels.json; give its folder as the argument)." \
      "weights/demo/ is already converted in the repository; nothing was changed." >&2
    exit 1
  fi
done
[ -f dist/cli.mjs ] || npm run build
node bin/bridgetower.mjs convert "$src/model.ckpt" --out "$out" --text-tower roberta \
  --vocab "$src/vocab.json" --merges "$src/merges.txt" --labels "$src/vqa_labels.json"
