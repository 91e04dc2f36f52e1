#!/usr/bin/env bash
# Starts the action server and the Rasa server together in the foreground;
# Ctrl-C stops both. Used by `make run`; `scripts/run.sh shell` (make shell)
# starts the action server with Rasa's terminal chat instead.
#   RASA_PORT (default 5005), ACTIONS_PORT (default 5055), ENDPOINTS (default endpoints.yml)
set -euo pipefail
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
VENV=${VENV:-.venv}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p build logs

"$VENV/bin/rasa" run actions --actions actions --port "$ACTIONS_PORT" &
actions_pid=$!
stop() {
  trap - INT TERM EXIT
  kill "$actions_pid" ${rasa_pid:-} 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

if [ "${1:-}" = "shell" ]; then
  "$VENV/bin/rasa" shell --model models/callback-companion.tar.gz --endpoints "$ENDPOINTS" --port "$RASA_PORT"
  exit $?
fi

"$VENV/bin/rasa" run --model models/callback-companion.tar.gz --endpoints "$ENDPOINTS" \
  --credentials credentials.yml --port "$RASA_PORT" --cors "*" &
rasa_pid=$!
echo "Starting: Rasa on http://localhost:$RASA_PORT (chat page: http://localhost:$RASA_PORT/webhooks/webchat/), actions on $ACTIONS_PORT. Ctrl-C stops both."
wait -n "$actions_pid" "$rasa_pid"
