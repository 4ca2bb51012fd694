#!/usr/bin/env bash
# Installs (once, under .tools/) and starts DynamoDB Local, the emulator AWS builds, from the npm
# package amplify-dynamodb-simulator. Prints the endpoint URL on stdout; the server's PID goes to
# .tools/dynamodb-local.pid. Usage: endpoint=$(scripts/dynamodb-local.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
tools=.tools/dynamodb
emulator=$tools/node_modules/amplify-dynamodb-simulator/emulator
if [ ! -f "$emulator/DynamoDBLocal.jar" ]; then
  mkdir -p "$tools"
  echo "installing DynamoDB Local (npm: amplify-dynamodb-simulator)" >&2
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error amplify-dynamodb-simulator >&2
fi
if ! command -v java >/dev/null 2>&1; then
  echo "installing a Java runtime (Debian: openjdk-17-jre-headless)" >&2
  (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless) >&2
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$emulator" && exec java -Djava.library.path=DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -port "$port") \
  > .tools/dynamodb-local.log 2>&1 &
echo $! > .tools/dynamodb-local.pid
for _ in $(seq 1 120); do
  if curl -s -o /dev/null "http://127.0.0.1:$port"; then
    echo "http://127.0.0.1:$port"
    exit 0
  fi
  sleep 0.5
done
echo "DynamoDB Local did not start; see .tools/dynamodb-local.log" >&2
exit 1
