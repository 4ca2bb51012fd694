#!/usr/bin/env bash
# Creates (once) a Python virtual environment under .tools/venv with the reference
# implementations the tests interoperate with (PyPI: standardwebhooks), and prints its python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import standardwebhooks' 2>/dev/null; then
  echo "installing Python test tools (PyPI: standardwebhooks)" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check standardwebhooks==1.1.0 >&2
fi
echo "$PWD/$venv/bin/python"
