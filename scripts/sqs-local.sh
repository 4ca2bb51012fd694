#!/usr/bin/env bash
# Starts moto's server (PyPI moto[server], installed under .tools/venv by python-tools.sh), a
# real SQS wire protocol on loopback, for the queue adapter's tests. Prints the endpoint URL on
# stdout; the server's PID goes to .tools/sqs-local.pid, its endpoint to .tools/sqs-local.url.
# Usage: endpoint=$(scripts/sqs-local.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/python-tools.sh)
pidfile=.tools/sqs-local.pid
urlfile=.tools/sqs-local.url
answers() { curl -s -o /dev/null "$1"; }
# Already running: reuse it rather than start a second server.
if [ -f "$pidfile" ] && [ -f "$urlfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && answers "$(cat "$urlfile")"; then
  cat "$urlfile"
  exit 0
fi
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$(dirname "$python")/moto_server" -H 127.0.0.1 -p "$port" > .tools/sqs-local.log 2>&1 &
echo $! > "$pidfile"
for _ in $(seq 1 120); do
  if answers "http://127.0.0.1:$port/moto-api/"; then
    echo "http://127.0.0.1:$port" | tee "$urlfile"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    break
  fi
  sleep 0.5
done
echo "moto_server did not start; see .tools/sqs-local.log" >&2
exit 1
