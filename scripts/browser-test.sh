#!/usr/bin/env bash
# The dashboard page in headless Chromium: loads `mlm demo`'s month into a fresh ledger file,
# starts `mlm serve` on it, and runs scripts/browser/browser-test.mjs (playwright-core driving
# Debian's /usr/bin/chromium) against the page at `/` with `mlm token`'s tokens. Installs
# Chromium (apt) and playwright-core (npm, pinned in scripts/browser/package-lock.json) if absent.
# Then signs in through the managed login: scripts/browser/oidc-standin.mjs (a local OpenID
# Connect stand-in answering like Cognito) and `mlm serve --oidc-issuer` on the same data, with
# scripts/browser/signin-test.mjs (PKCE, the new-password step, refresh, sign-out).
# Screenshots: target/browser/dashboard-*.png, console-<panel>-<size>.png, signin-*.png (and
# failure.png / signin-failure.png).
# Then the storefront attribution script (scripts/browser/storefront-test.mjs) on a local page.
# Usage: scripts/browser-test.sh   (part of scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium (Debian: chromium)" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium) >&2
fi

pinned=$(node -p 'require("./scripts/browser/package-lock.json").packages["node_modules/playwright-core"].version')
installed=$(node -p 'try { require("./scripts/browser/node_modules/playwright-core/package.json").version } catch { "" }')
if [ "$pinned" != "$installed" ]; then
  echo "installing playwright-core $pinned (npm)" >&2
  (cd scripts/browser && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

cargo build -p mlm-cli --locked
mlm=target/debug/mlm

tmp=$(mktemp -d)
serve_pid=""
oidc_pid=""
stop_serve() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  serve_pid=""
}
cleanup() {
  stop_serve
  if [ -n "$oidc_pid" ]; then kill "$oidc_pid" 2>/dev/null || true; wait "$oidc_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "loading the demo data (mlm demo)"
if ! "$mlm" demo --data "$tmp/demo.db" > "$tmp/demo.log" 2>&1; then
  cat "$tmp/demo.log" >&2
  echo "browser: FAILED: mlm demo exited with an error (above)" >&2
  exit 1
fi

# The dashboard reads never call BigCommerce; serve only needs the settings present.
start_serve() {
  : > "$tmp/serve.log"
  BIGCOMMERCE_STORE_HASH=demo BIGCOMMERCE_ACCESS_TOKEN=x BIGCOMMERCE_CLIENT_SECRET=x \
    BIGCOMMERCE_API_BASE=http://127.0.0.1:9 RUST_LOG=warn \
    "$mlm" serve --data "$tmp/demo.db" --listen 127.0.0.1:0 "$@" > "$tmp/serve.log" 2>&1 &
  serve_pid=$!
  url=""
  for _ in $(seq 1 100); do
    url=$(sed -n 's#.*listening on \(http://[0-9.:]*\).*#\1#p' "$tmp/serve.log" | head -n 1)
    if [ -n "$url" ] || ! kill -0 "$serve_pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  if [ -z "$url" ]; then
    cat "$tmp/serve.log" >&2
    echo "browser: FAILED: mlm serve did not start (log above)" >&2
    exit 1
  fi
  echo "mlm serve at $url"
}
start_serve

MLM_URL=$url \
  MLM_ME=D02 MLM_OTHER=D05 \
  MLM_TOKEN=$("$mlm" token --data "$tmp/demo.db" --distributor D02) \
  MLM_ADMIN_TOKEN=$("$mlm" token --data "$tmp/demo.db" --admin) \
  MLM_SHOTS=target/browser \
  node scripts/browser/browser-test.mjs || {
    echo "--- mlm serve's log" >&2
    tail -n 40 "$tmp/serve.log" >&2
    exit 1
  }
stop_serve

# Sign-in through the managed login stand-in (ID tokens of 20 s, so the page must refresh).
echo "sign-in through the OpenID Connect stand-in"
OIDC_ID_TTL=20 OIDC_CLIENT_ID=mlm-dashboard \
  OIDC_USERS='[{"username":"d02@acme.example","password":"Temporary-123","distributor_id":"D02","temporary":true},
               {"username":"admin@acme.example","password":"Admin-Password-1","groups":["admin"]}]' \
  node scripts/browser/oidc-standin.mjs > "$tmp/oidc.log" 2>&1 &
oidc_pid=$!
issuer=""
for _ in $(seq 1 50); do
  issuer=$(sed -n 's#.*listening on \(http://[0-9.:]*\).*#\1#p' "$tmp/oidc.log" | head -n 1)
  if [ -n "$issuer" ] || ! kill -0 "$oidc_pid" 2>/dev/null; then break; fi
  sleep 0.2
done
if [ -z "$issuer" ]; then
  cat "$tmp/oidc.log" >&2
  echo "browser: FAILED: the OpenID Connect stand-in did not start (log above)" >&2
  exit 1
fi
start_serve --oidc-issuer "$issuer" --oidc-client-id mlm-dashboard
MLM_URL=$url MLM_ID_TTL=20 MLM_SHOTS=target/browser node scripts/browser/signin-test.mjs || {
  echo "--- mlm serve's log" >&2
  tail -n 40 "$tmp/serve.log" >&2
  exit 1
}

# The replicated-site attribution script on a local storefront page (storefront/mlm-attribution.js).
node scripts/browser/storefront-test.mjs
