#!/usr/bin/env bash
# The issue's acceptance run through the command line, with the CLI's defaults and seed 0:
# fit on nmnist-small/Train (800), evaluate on nmnist-small/Test (50).
#   bash benchmarks/feast_cli.sh   -> benchmarks/results/feast/cli_evaluate.json
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${EVLEARN_SHARED_DATA:-../shared/data}/nmnist-small"
EVLEARN="${EVLEARN:-evlearn}"
MODEL="$(mktemp -d)/feast.npz"
OUT=benchmarks/results/feast/cli_evaluate.json
"$EVLEARN" feast fit --train "$DATA/Train" --out "$MODEL" --seed 0 --no-progress
"$EVLEARN" feast evaluate --model "$MODEL" --test "$DATA/Test" --json --no-progress > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
python3 -c "import json,sys; print('Test accuracy', json.load(open(sys.argv[1]))['accuracy'])" "$OUT"
