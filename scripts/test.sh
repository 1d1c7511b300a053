#!/usr/bin/env bash
# Run the whole test suite (set-up and training are done by `make test` first).
#
# With no arguments the suite runs as two pytest processes side by side, each with its own temporary directory
# and its own dialogue servers; both must pass. The second takes the trainer's tests (they train two models,
# CPU-bound minutes) and then the fault, cluster, fuzz and configuration tests (processes killed and restarted,
# servers of their own, thousands of generated inputs); the first takes the rest, which mostly wait on real-time audio,
# browsers and servers. Measured (2026-12-03, before tests/config moved over): 25.6 and 16.5 minutes.
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
SECOND=(tests/trainer tests/faults tests/cluster tests/fuzz tests/config)
IGNORED=()
for d in "${SECOND[@]}"; do IGNORED+=("--ignore=$d"); done
say "tests (${SECOND[*]} in a second process; its report follows the others')"
"${PYTEST[@]}" --basetemp var/pytest-second "${SECOND[@]}" > var/test-second.log 2>&1 &
second_pid=$!
trap 'kill "$second_pid" 2>/dev/null; exit 130' INT TERM
"${PYTEST[@]}" --basetemp var/pytest-main "${IGNORED[@]}" tests
main_rc=$?
wait "$second_pid"
second_rc=$?
say "second process (${SECOND[*]})"
cat var/test-second.log
if [ "$main_rc" -ne 0 ] || [ "$second_rc" -ne 0 ]; then
    say "FAILED: tests exit $main_rc, second process exit $second_rc"
    exit 1
fi
