#!/usr/bin/env bash
# Start the action server, the Rasa server and the avatar bridge, say where they
# listen, and stop them all cleanly on Ctrl-C (or when one of them dies).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$LOBBY_ROOT"
mkdir -p "$LOBBY_VAR/log"
MODEL="$LOBBY_DIALOGUE_MODEL_DIR/$(cat "$LOBBY_DIALOGUE_MODEL_DIR/current").tar.gz"
TOKEN="$(lobby_token)"
pids=()
stop() {
    trap - INT TERM EXIT
    say "stopping"
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    exit 0
}
trap stop INT TERM EXIT

"$ACTIONS_PY" -m rasa_sdk --actions actions --port "$LOBBY_ACTIONS_PORT" \
    >>"$LOBBY_VAR/log/actions.log" 2>&1 &
pids+=($!)
"$RASA_PY" -m nlu.rasa_cli run --model "$MODEL" --endpoints endpoints.yml --credentials credentials.yml \
    --enable-api --auth-token "$TOKEN" --interface 127.0.0.1 --port "$LOBBY_RASA_PORT" \
    --log-file "$LOBBY_VAR/log/rasa.log" \
    >>"$LOBBY_VAR/log/rasa.stdout.log" 2>&1 &
pids+=($!)

# One secret per kiosk of config/kiosks.yml (made once, kept in var/; docs/security.md): a kiosk proves its id
# with it, any other id is an anonymous web session with the web's limits.
KIOSK_SECRETS="${LOBBY_KIOSK_SECRETS_FILE:-$LOBBY_VAR/kiosk-secrets.yml}"
"$APP_PY" -m avatar_bridge.kiosk_secrets ensure --kiosks config/kiosks.yml --file "$KIOSK_SECRETS" >/dev/null
KIOSK_URL="$("$APP_PY" -m avatar_bridge.kiosk_secrets url entrance --file "$KIOSK_SECRETS" \
    --base "http://127.0.0.1:$LOBBY_BRIDGE_PORT")"
# The administrators' token for ending conversations (python -m avatar_bridge.admin, docs/security.md), made once.
if [ -z "${LOBBY_BRIDGE_ADMIN_TOKEN:-}" ] && [ -z "${LOBBY_BRIDGE_ADMIN_TOKEN_FILE:-}" ]; then
    lobby_secret bridge_admin_token >/dev/null
    LOBBY_BRIDGE_ADMIN_TOKEN_FILE="$LOBBY_VAR/bridge_admin_token"
fi
# Signed session ids survive a bridge restart, so kiosks and widgets resume their conversations.
LOBBY_BRIDGE_SESSION_SECRET="${LOBBY_BRIDGE_SESSION_SECRET:-$(lobby_secret bridge_session_secret)}" \
LOBBY_KIOSK_SECRETS_FILE="$KIOSK_SECRETS" \
LOBBY_BRIDGE_ADMIN_TOKEN_FILE="${LOBBY_BRIDGE_ADMIN_TOKEN_FILE:-}" \
    "$APP_PY" -m avatar_bridge --host 127.0.0.1 --port "$LOBBY_BRIDGE_PORT" \
    --rasa-url "http://127.0.0.1:$LOBBY_RASA_PORT" --kiosk-config config/kiosks.yml \
    >>"$LOBBY_VAR/log/bridge.log" 2>&1 &
pids+=($!)
# Trainer studio (web pages for trainers; accounts: python -m trainer users add NAME --role admin).
LOBBY_RASA_TOKEN="$TOKEN" "$APP_PY" -m trainer serve --host 127.0.0.1 --port "$LOBBY_TRAINER_PORT" \
    >>"$LOBBY_VAR/log/trainer.log" 2>&1 &
pids+=($!)

# Retention job: deletes what is older than LOBBY_RETENTION_DAYS now and once a day (docs/security/privacy.md).
"$APP_PY" -m privacy schedule --days "$LOBBY_RETENTION_DAYS" >>"$LOBBY_VAR/log/privacy.log" 2>&1 &
pids+=($!)

say "starting (loading the model takes about a minute)"
for _ in $(seq 1 300); do
    for p in "${pids[@]}"; do
        kill -0 "$p" 2>/dev/null || { echo "a service exited during start-up; see $LOBBY_VAR/log/"; tail -20 "$LOBBY_VAR"/log/*.log; exit 1; }
    done
    if curl -fs "http://127.0.0.1:$LOBBY_RASA_PORT/status?token=$TOKEN" >/dev/null 2>&1 \
        && curl -fs "http://127.0.0.1:$LOBBY_ACTIONS_PORT/health" >/dev/null 2>&1 \
        && curl -fs "http://127.0.0.1:$LOBBY_BRIDGE_PORT/health" >/dev/null 2>&1; then
        break
    fi
    sleep 1
done
cat <<INFO

  Lobby Guide is running
    Kiosk page          $KIOSK_URL
                        (touch to start; other kiosks: $APP_PY -m avatar_bridge.kiosk_secrets url floor2)
    Home page (web)     http://127.0.0.1:$LOBBY_BRIDGE_PORT/lobby
    Web chat demo       http://127.0.0.1:$LOBBY_BRIDGE_PORT/chat    (embed: <script src=".../widget.js">)
    Rasa REST channel   http://127.0.0.1:$LOBBY_RASA_PORT/webhooks/rest/webhook
    Rasa socket.io      http://127.0.0.1:$LOBBY_RASA_PORT/socket.io   (origins: $LOBBY_CORS_ORIGINS)
    Rasa HTTP API       http://127.0.0.1:$LOBBY_RASA_PORT/  (token in var/rasa_token)
    Action server       http://127.0.0.1:$LOBBY_ACTIONS_PORT/webhook
    Avatar bridge       ws://127.0.0.1:$LOBBY_BRIDGE_PORT/ws   (protocol: docs/protocol.md)
                        end a conversation: $APP_PY -m avatar_bridge.admin end SESSION_ID (or end-all)
    Trainer studio      http://127.0.0.1:$LOBBY_TRAINER_PORT/   (docs/trainer.md)
    Conversations       $LOBBY_TRACKER_DB
    Logs                $LOBBY_VAR/log/
  Talk to it:  make chat        Stop: Ctrl-C

INFO
wait -n "${pids[@]}" || true
echo "a service stopped; see $LOBBY_VAR/log/"
