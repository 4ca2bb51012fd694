#!/usr/bin/env bash
# The whole test suite: formatting, lints, a benchmark smoke run, then every test of the
# workspace, the DynamoDB adapter's against DynamoDB Local (installed and started here). This is the README's second command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== SAM template (sam validate --lint)"
# Offline: the SAM transform and cfn-lint run locally; no AWS credentials or network needed.
LAMBDA_TOOLS=$(scripts/lambda-tools.sh)
SAM_CLI_TELEMETRY=0 "$LAMBDA_TOOLS/sam" validate --lint --template template.yaml --region us-east-1

echo "== benchmark smoke run (full figures: README, Performance)"
cargo bench -p mlm-engine --bench period_close --locked -- 10000

echo "== DynamoDB Local"
MLM_DYNAMODB_ENDPOINT=$(scripts/dynamodb-local.sh)
export MLM_DYNAMODB_ENDPOINT
echo "DynamoDB Local at $MLM_DYNAMODB_ENDPOINT"

echo "== Python reference implementations"
MLM_PYTHON=$(scripts/python-tools.sh)
export MLM_PYTHON

echo "== SQS emulator (moto)"
MLM_SQS_ENDPOINT=$(scripts/sqs-local.sh)
export MLM_SQS_ENDPOINT
echo "moto SQS at $MLM_SQS_ENDPOINT"

echo "== cargo test"
log=$(mktemp)
trap 'rm -f "$log"; kill "$(cat .tools/dynamodb-local.pid)" "$(cat .tools/sqs-local.pid)" 2>/dev/null || true' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# One closing line for the whole suite (cargo prints one per test binary, the last often empty).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f; exit (p == 0 || f > 0) }' "$log"
