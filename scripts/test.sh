#!/usr/bin/env bash
# Run the whole test suite (set-up and training are done by `make test` first).
#
# With no arguments the trainer's tests run in a second pytest process beside the rest: they train two
# models (CPU-bound minutes) while most other tests wait on real-time audio, browsers and servers, so
# the two overlap well on 2 cores. Each process has its own temporary directory; both must pass.
# With arguments (`scripts/test.sh tests/dialogue -k alias`), one pytest runs exactly what was asked.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOBBY_ROOT"
say "lint"
"$APP_PY" -m ruff check . || exit 1
PYTEST=("$APP_PY" -m pytest -p no:cacheprovider -q -ra --durations=30)
if [ $# -gt 0 ]; then
    say "tests"
    exec "${PYTEST[@]}" "$@"
fi
mkdir -p var
# a run that was killed may have left the tracker's test filesystem mounted (testkit/faults.py): release it
awk '$1 == "lobby-test-db" {print $2}' /proc/mounts | xargs -r -n1 umount --lazy 2>/dev/null
say "tests (the trainer's in a second process; its report follows the others')"
"${PYTEST[@]}" --basetemp var/pytest-trainer tests/trainer > var/test-trainer.log 2>&1 &
trainer_pid=$!
trap 'kill "$trainer_pid" 2>/dev/null; exit 130' INT TERM
"${PYTEST[@]}" --basetemp var/pytest-main --ignore=tests/trainer tests
main_rc=$?
wait "$trainer_pid"
trainer_rc=$?
say "trainer tests (tests/trainer)"
cat var/test-trainer.log
if [ "$main_rc" -ne 0 ] || [ "$trainer_rc" -ne 0 ]; then
    say "FAILED: tests exit $main_rc, trainer tests exit $trainer_rc"
    exit 1
fi
