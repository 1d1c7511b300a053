#!/usr/bin/env bash
# Run the whole test suite (set-up and training are done by `make test` first).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOBBY_ROOT"
say "lint"
"$APP_PY" -m ruff check .
say "tests"
exec "$APP_PY" -m pytest -p no:cacheprovider -q -ra --durations=30 "$@"
