# Shared environment for every Lobby Guide script. Source it; do not run it.
# Every value can be overridden by exporting it first.
LOBBY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LOBBY_ROOT
export LOBBY_VENVS="${LOBBY_VENVS:-$LOBBY_ROOT/.venv}"
export LOBBY_VAR="${LOBBY_VAR:-$LOBBY_ROOT/var}"
export LOBBY_RASA_PORT="${LOBBY_RASA_PORT:-5005}"
export LOBBY_ACTIONS_PORT="${LOBBY_ACTIONS_PORT:-5055}"
export LOBBY_BRIDGE_PORT="${LOBBY_BRIDGE_PORT:-8765}"
export LOBBY_TRAINER_PORT="${LOBBY_TRAINER_PORT:-8770}"
export LOBBY_ACTION_ENDPOINT="${LOBBY_ACTION_ENDPOINT:-http://127.0.0.1:${LOBBY_ACTIONS_PORT}/webhook}"
export LOBBY_TRACKER_DB="${LOBBY_TRACKER_DB:-$LOBBY_VAR/tracker.db}"
export LOBBY_ACTIONS_DB="${LOBBY_ACTIONS_DB:-$LOBBY_VAR/actions.db}"
# Conversations, tickets, appointments, handoffs and recordings are deleted after this many days.
export LOBBY_RETENTION_DAYS="${LOBBY_RETENTION_DAYS:-30}"
# Trained dialogue models (Rasa .tar.gz + `current`). LOBBY_MODEL_DIR is the old, deprecated name.
if [ -n "${LOBBY_MODEL_DIR:-}" ] && [ -z "${LOBBY_DIALOGUE_MODEL_DIR:-}" ]; then
    echo "warning: LOBBY_MODEL_DIR is deprecated: set LOBBY_DIALOGUE_MODEL_DIR instead" >&2
    LOBBY_DIALOGUE_MODEL_DIR="$LOBBY_MODEL_DIR"
fi
unset LOBBY_MODEL_DIR
export LOBBY_DIALOGUE_MODEL_DIR="${LOBBY_DIALOGUE_MODEL_DIR:-$LOBBY_ROOT/models/dialogue}"
# Token for Rasa's HTTP API (conversation and model endpoints). A random one is
# generated on first run and kept in var/ so the trainer and tools can read it.
export LOBBY_CORS_ORIGINS="${LOBBY_CORS_ORIGINS:-http://127.0.0.1:8080 http://localhost:8080}"

# Quiet start-up: Rasa, TensorFlow and SQLAlchemy are noisy by default.
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false
export LOG_LEVEL="${LOG_LEVEL:-WARNING}"
export LOG_LEVEL_LIBRARIES="${LOG_LEVEL_LIBRARIES:-ERROR}"
export TF_CPP_MIN_LOG_LEVEL=2
export KERAS_HOME="$LOBBY_VAR/keras"
export MPLCONFIGDIR="$LOBBY_VAR/matplotlib"
export SANIC_HOST=127.0.0.1
export PYTHONPATH="$LOBBY_ROOT${PYTHONPATH:+:$PYTHONPATH}"

RASA_PY="$LOBBY_VENVS/rasa/bin/python"
ACTIONS_PY="$LOBBY_VENVS/actions/bin/python"
APP_PY="$LOBBY_VENVS/app/bin/python"

# lobby_secret NAME: a random secret kept in var/NAME (owner-only), the same across restarts.
lobby_secret() {
    mkdir -p "$LOBBY_VAR"
    if [ ! -s "$LOBBY_VAR/$1" ]; then
        (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$LOBBY_VAR/$1")
    fi
    cat "$LOBBY_VAR/$1"
}

lobby_token() {
    if [ -n "${LOBBY_RASA_TOKEN:-}" ]; then echo "$LOBBY_RASA_TOKEN"; return; fi
    lobby_secret rasa_token
}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
