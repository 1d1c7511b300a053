#!/usr/bin/env bash
# The long fuzz run (`make fuzz`): every fuzz test in tests/fuzz with LONG_FACTOR x the examples of
# `make test`, fresh random inputs each run (tests/fuzz/profile.py). Prints the cases per target and
# writes benchmarks/results/fuzz.json (cases, bad inputs, failed tests, duration per target).
# LOBBY_FUZZ_SCALE=0.2 make fuzz  -> a fifth of that, for a quicker look.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOBBY_ROOT"
export LOBBY_FUZZ_PROFILE=long
export LOBBY_FUZZ_RESULTS="${LOBBY_FUZZ_RESULTS:-$LOBBY_ROOT/benchmarks/results/fuzz.json}"
mkdir -p var
say "fuzz (long profile; results -> $LOBBY_FUZZ_RESULTS)"
exec nice -n 10 "$APP_PY" -m pytest -p no:cacheprovider -q -ra --basetemp var/pytest-fuzz tests/fuzz "$@"
