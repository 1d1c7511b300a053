#!/usr/bin/env bash
# Train the dialogue model when its inputs changed since the last training.
# Inputs: config.yml, domain.yml, the NLU/rules/stories data and the knowledge
# base (its aliases become entity synonyms). Output: models/dialogue/<name>.tar.gz
# and models/dialogue/current (the name of the model `make run` serves).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOBBY_ROOT"
FORCE=0; [ "${1:-}" = "--force" ] && FORCE=1

"$APP_PY" -m kb export-nlu data/nlu/generated_kb.yml >/dev/null
"$APP_PY" -m kb export-nlu --lang zh data/nlu/generated_kb_zh.yml >/dev/null
TRAIN_DATA=(data/nlu data/rules.yml data/stories.yml)
# nlu/*.py (custom pipeline components) and the encoder manifest change what a model computes too.
fingerprint="$(cat config.yml domain.yml nlu/constraints.txt nlu/*.py sentence_encoder/model_manifest.json $(find data/nlu data/rules.yml data/stories.yml -name '*.yml' | sort) | sha256sum | cut -c1-12)"
name="lobby-$fingerprint"
mkdir -p "$LOBBY_DIALOGUE_MODEL_DIR"
if [ $FORCE = 0 ] && [ -f "$LOBBY_DIALOGUE_MODEL_DIR/$name.tar.gz" ]; then
    echo "$name" > "$LOBBY_DIALOGUE_MODEL_DIR/current"
    say "dialogue model is up to date ($name)"
    exit 0
fi
say "training the dialogue model (a few minutes on 2 cores)"
start=$(date +%s)
"$RASA_PY" -m nlu.rasa_cli train --config config.yml --domain domain.yml --data "${TRAIN_DATA[@]}" \
    --out "$LOBBY_DIALOGUE_MODEL_DIR" --fixed-model-name "$name" --augmentation 0 --quiet
echo "$name" > "$LOBBY_DIALOGUE_MODEL_DIR/current"
echo "$(( $(date +%s) - start ))" > "$LOBBY_DIALOGUE_MODEL_DIR/$name.train_seconds"
say "trained $name in $(( $(date +%s) - start )) s"
