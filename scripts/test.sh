#!/usr/bin/env bash
# The whole test suite: formatting, lints, the SAM template, the Lambda functions' arm64 build
# (each bootstrap under 10 MB), a benchmark smoke run, then every test of the
# workspace against DynamoDB Local and moto's SQS (installed and started here), and the dashboard
# in headless Chromium. This is the README's second command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
# Each step's header carries the minutes since the start, so a CI log shows where the time went.
start=$SECONDS
step() { printf '== [%dm%02ds] %s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$1"; }
# The free disk at the start and target/'s size at the end, so a CI log shows how close it ran.
df -h . | awk 'NR == 2 { print "disk: " $4 " free of " $2 }'

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "SAM template (sam validate --lint)"
# Offline: the SAM transform and cfn-lint run locally; no AWS credentials or network needed.
LAMBDA_TOOLS=$(scripts/lambda-tools.sh)
SAM_CLI_TELEMETRY=0 "$LAMBDA_TOOLS/sam" validate --lint --template template.yaml --region us-east-1

step "Lambda build (cargo lambda build --release --arm64; each bootstrap under 10 MB)"
functions=(webhook-intake commission-calc refund-reversal catalog-sync rank-compliance reconcile dashboard-api)
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
PATH="$LAMBDA_TOOLS:$PATH" cargo lambda build --release --arm64 --locked "${packages[@]}"
too_big=0
for f in "${functions[@]}"; do
  bootstrap=$target/lambda/$f/bootstrap
  size=$(stat -c %s "$bootstrap")
  printf '%-16s %10d bytes\n' "$f" "$size"
  if [ "$size" -ge 10000000 ]; then
    echo "error: $bootstrap is $size bytes; the limit is 10,000,000 (README, Performance)" >&2
    too_big=1
  fi
done
[ "$too_big" = 0 ]
# On CI the arm64 objects are not needed again (about 0.5 GB); the bootstraps stay in lambda/.
if [ "${CI:-}" = true ]; then rm -rf "$target/aarch64-unknown-linux-gnu"; fi

step "benchmark smoke run (full figures: README, Performance)"
cargo bench -p mlm-engine --bench period_close --locked -- 10000

step "DynamoDB Local"
MLM_DYNAMODB_ENDPOINT=$(scripts/dynamodb-local.sh)
export MLM_DYNAMODB_ENDPOINT
echo "DynamoDB Local at $MLM_DYNAMODB_ENDPOINT"

step "Python reference implementations"
MLM_PYTHON=$(scripts/python-tools.sh)
export MLM_PYTHON

step "OpenAPI contract of the dashboard API (openapi-spec-validator)"
"$MLM_PYTHON" -m openapi_spec_validator shared/app/openapi.yaml

step "SQS emulator (moto)"
MLM_SQS_ENDPOINT=$(scripts/sqs-local.sh)
export MLM_SQS_ENDPOINT
echo "moto SQS at $MLM_SQS_ENDPOINT"

step "browser test (the dashboard page in headless Chromium; screenshots in target/browser/)"
scripts/browser-test.sh

step "cargo test"
log=$(mktemp)
trap 'rm -f "$log"; kill "$(cat .tools/dynamodb-local.pid)" "$(cat .tools/sqs-local.pid)" 2>/dev/null || true' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
du -sh "$target" | awk '{ print "disk: target/ is " $1 }'
step "done"
# One closing line for the whole suite (cargo prints one per test binary, the last often empty).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f; exit (p == 0 || f > 0) }' "$log"
