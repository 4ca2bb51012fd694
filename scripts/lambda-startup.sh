#!/usr/bin/env bash
# Start-up time of each Lambda function to its first ready state: from exec to its first
# `GET /2018-06-01/runtime/invocation/next` on a stand-in Lambda Runtime API on loopback (the
# request a function makes once its init is done and it waits for work). A measurement, not a
# test: not part of scripts/test.sh, and it asserts no times.
#
# The arm64 bootstraps do not run on an x86 machine, so this builds the same six functions for
# this machine (release profile), then starts each RUNS times (default 10, after one unmeasured
# start), round-robin, with the configuration template.yaml gives it. The BigCommerce
# credentials come from their variables (no Secrets Manager call), AWS credentials and region
# from variables as on Lambda; DynamoDB, SQS and BigCommerce point at a loopback port that
# nothing answers: a function that touched them before its first /next would hang, and the
# script would say so. Needs cargo and python3.
#
# Usage: scripts/lambda-startup.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
functions=(webhook-intake commission-calc refund-reversal catalog-sync rank-compliance reconcile dashboard-api)
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
echo "building ${functions[*]} for this machine (release)" >&2
cargo build --release --locked "${packages[@]}" >&2
target=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

exec python3 - "$target/release" "$runs" "${functions[@]}" <<'PY'
import os, select, socket, statistics, subprocess, sys, tempfile, time

bindir, runs, functions = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s

api = listener()        # the Runtime API stand-in
silent = listener()     # DynamoDB, SQS, BigCommerce: accepts connections, never answers
api_addr = "127.0.0.1:%d" % api.getsockname()[1]
nowhere = "http://127.0.0.1:%d" % silent.getsockname()[1]

def env_for(name):
    queue = lambda q: "%s/000000000000/mlm-%s.fifo" % (nowhere, q)
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        # What Lambda sets.
        "AWS_LAMBDA_RUNTIME_API": api_addr,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008" if name == "rank-compliance" else "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + name,
        "AWS_LAMBDA_LOG_STREAM_NAME": "startup",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
        # What template.yaml sets (a superset: each function reads its own).
        "MLM_LEDGER_TABLE": "ledger",
        "MLM_SECRET_ID": "mlm-bigcommerce",
        "BIGCOMMERCE_CLIENT_SECRET": "startup-client-secret",
        "BIGCOMMERCE_ACCESS_TOKEN": "startup-access-token",
        "BIGCOMMERCE_STORE_HASH": "abc123",
        "BIGCOMMERCE_API_BASE": nowhere,
        "MLM_QUEUE_COMMISSION_URL": queue("commission"),
        "MLM_QUEUE_REFUND_URL": queue("refund"),
        "MLM_QUEUE_CATALOG_URL": queue("catalog"),
        "MLM_QUEUE_ACCOUNTS_URL": queue("accounts"),
        "MLM_PAYOUT_QUEUE_URL": queue("payouts"),
        "MLM_DYNAMODB_ENDPOINT": nowhere,
        "MLM_SQS_ENDPOINT": nowhere,
    }

def start(name):
    """Seconds from exec to the first /next request."""
    log = tempfile.TemporaryFile()
    env = env_for(name)
    t0 = time.perf_counter()
    p = subprocess.Popen([os.path.join(bindir, name)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = t0 + 10
        conn = None
        while conn is None:
            if p.poll() is not None:
                log.seek(0)
                sys.exit("%s exited (%s) before asking for work:\n%s" % (name, p.returncode, log.read().decode(errors="replace")))
            if time.perf_counter() > deadline:
                sys.exit("%s: no request on the Runtime API within 10 s (did its init call DynamoDB, SQS or BigCommerce?)" % name)
            if select.select([api], [], [], 0.01)[0]:
                conn, _ = api.accept()
        data = b""
        while b"\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        t1 = time.perf_counter()
        line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        if not line.startswith("GET /2018-06-01/runtime/invocation/next "):
            sys.exit("%s: first Runtime API request was %r" % (name, line))
        conn.close()
        return t1 - t0
    finally:
        p.kill()
        p.wait()
        log.close()

times = {f: [] for f in functions}
for f in functions:
    start(f)  # unmeasured: page cache, first-run effects
for _ in range(runs):
    for f in functions:
        times[f].append(start(f))
if select.select([silent], [], [], 0)[0]:
    sys.exit("a function connected to DynamoDB, SQS or BigCommerce during start-up")

print("start-up to the first /next, %d starts each (host build: %s)" % (runs, os.uname().machine))
print()
print("| function | median ms | min ms | max ms |")
print("|---|---:|---:|---:|")
for f in functions:
    ms = [t * 1000 for t in times[f]]
    print("| %s | %.1f | %.1f | %.1f |" % (f, statistics.median(ms), min(ms), max(ms)))
PY
