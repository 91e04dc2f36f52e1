#!/usr/bin/env bash
# Starts the action server and the Rasa server together in the foreground;
# Ctrl-C stops both. Used by `make run`; `scripts/run.sh shell` (make shell)
# starts the action server with Rasa's terminal chat instead.
#   RASA_PORT (default 5005), ACTIONS_PORT (default 5055), ENDPOINTS (default endpoints.yml),
#   MODEL (default models/callback-companion.tar.gz)
#   CC_ALLOWED_ORIGINS: other sites allowed to call the REST channel from a browser,
#     comma-separated (default none: the chat page is served from the same origin)
#   CC_ACTIONS_SECRET: the secret Rasa sends the action server (default: a new random one)
# The action server listens on 127.0.0.1 only; endpoints.yml reads ACTIONS_PORT and CC_ACTIONS_SECRET.
set -euo pipefail
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
MODEL=${MODEL:-models/callback-companion.tar.gz}
VENV=${VENV:-.venv}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p build logs
export ACTIONS_PORT
export CC_ACTIONS_SECRET=${CC_ACTIONS_SECRET:-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))')}
cors=()
IFS=', ' read -r -a origins <<< "${CC_ALLOWED_ORIGINS:-}"
[ ${#origins[@]} -gt 0 ] && cors=(--cors "${origins[@]}")

"$VENV/bin/python" -m companion.action_server --host 127.0.0.1 --port "$ACTIONS_PORT" &
actions_pid=$!
stop() {
  trap - INT TERM EXIT
  kill "$actions_pid" ${rasa_pid:-} 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

if [ "${1:-}" = "shell" ]; then
  "$VENV/bin/python" -m companion.launcher shell --model "$MODEL" --endpoints "$ENDPOINTS" --port "$RASA_PORT"
  exit $?
fi

"$VENV/bin/python" -m companion.launcher run --model "$MODEL" --endpoints "$ENDPOINTS" \
  --credentials credentials.yml --port "$RASA_PORT" "${cors[@]}" &
rasa_pid=$!
echo "Starting: Rasa on http://localhost:$RASA_PORT (chat page: http://localhost:$RASA_PORT/webhooks/webchat/), actions on $ACTIONS_PORT. Ctrl-C stops both."
wait -n "$actions_pid" "$rasa_pid"
