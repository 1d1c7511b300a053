# install_locked NAME PYTHON LOCK: build or update the environment $LOBBY_VENVS/NAME from its hash-pinned lock.
# Source it (scripts/setup.sh does); needs LOBBY_ROOT, LOBBY_VENVS and `say` from scripts/env.sh. LOCK is relative
# to LOBBY_ROOT, and so is locks/pip.txt.
#
# Why this way: every file pip installs must match a sha256 in the lock (--require-hashes), and nothing outside
# the lock is pulled in (--no-deps), so a re-uploaded or hijacked release on the index cannot reach a kiosk;
# `pip check` then proves the locked set is complete. The installer itself comes from locks/pip.txt first.
# The locks are made from the requirement files by `make lock` (scripts/lock.py). Runs only when the lock
# (or pip's) changed since the last success, as recorded in a stamp; exits the caller on failure.

_pip_locked() {  # _pip_locked DIR LOCK, without the index's "location is ignored" noise
    "$1/bin/python" -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r "$2" 2>&1 \
        | { grep -v "is ignored" || true; }
    return "${PIPESTATUS[0]}"
}

install_locked() {
    local name="$1" python="$2" lock="$3"
    local root="$LOBBY_ROOT"
    local dir="$LOBBY_VENVS/$name" stamp="$LOBBY_VENVS/$name/.lobby-stamp"
    local want; want="lock:$(cat "$root/locks/pip.txt" "$root/$lock" | sha256sum | cut -c1-16)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
    say "setting up the '$name' environment ($(basename "$python"), $lock)"
    [ -x "$dir/bin/python" ] || "$python" -m venv "$dir" || { echo "error: cannot create $dir" >&2; exit 1; }
    if ! { _pip_locked "$dir" "$root/locks/pip.txt" && _pip_locked "$dir" "$root/$lock"; }; then
        echo "error: installing $lock into $dir failed (a hash mismatch means the file on the index is not" \
            "the one that was locked: do not override it; re-lock only after checking why)" >&2
        exit 1
    fi
    "$dir/bin/python" -m pip check >/dev/null || { "$dir/bin/python" -m pip check; exit 1; }
    echo "$want" > "$stamp"
}
