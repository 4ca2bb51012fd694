#!/usr/bin/env bash
# Creates (once) a Python virtual environment under .tools/venv with the reference
# implementations the tests interoperate with (PyPI: standardwebhooks, the Standard Webhooks
# reference; moto[server], a real SQS wire protocol on loopback; openapi-spec-validator, which
# checks the dashboard API's contract), and prints its python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import standardwebhooks, moto.server, openapi_spec_validator' 2>/dev/null; then
  echo "installing Python test tools (PyPI: standardwebhooks, moto[server], openapi-spec-validator)" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check standardwebhooks==1.1.0 'moto[server]==5.2.5' \
    openapi-spec-validator==0.9.0 >&2
fi
echo "$PWD/$venv/bin/python"
