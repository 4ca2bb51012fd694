#!/usr/bin/env bash
# Creates (once) a Python virtual environment under .tools/lambda-venv with the Lambda build and
# deploy tools (PyPI: cargo-lambda, which brings zig through `ziglang` for cross-linking, and
# aws-sam-cli, which brings cfn-lint for `sam validate --lint`), makes sure the Rust target the
# functions are built for (aarch64-unknown-linux-gnu, Lambda arm64) is installed, and prints the
# venv's bin directory. Apart from .tools/venv on purpose: aws-sam-cli pins many dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/lambda-venv
cargo_lambda=1.9.2
sam=1.170.0
installed() {
  [ -x "$venv/bin/cargo-lambda" ] && [ -x "$venv/bin/sam" ] &&
    "$venv/bin/cargo-lambda" lambda --version 2>/dev/null | grep -q " $cargo_lambda" &&
    "$venv/bin/sam" --version 2>/dev/null | grep -q " $sam\$" &&
    "$venv/bin/python" -m ziglang version >/dev/null 2>&1
}
if ! installed; then
  echo "installing Lambda tools (PyPI: cargo-lambda==$cargo_lambda, aws-sam-cli==$sam)" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "cargo-lambda==$cargo_lambda" "aws-sam-cli==$sam" >&2
  installed || { echo "error: $venv: cargo-lambda, sam or zig does not run" >&2; exit 1; }
fi
# Only `cargo lambda build --arm64` needs the target, so a failure here is a warning, not an error.
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  echo "installing the Rust target aarch64-unknown-linux-gnu (rustup)" >&2
  rustup target add aarch64-unknown-linux-gnu >&2 ||
    echo "warning: rustup could not add aarch64-unknown-linux-gnu; arm64 builds will fail" >&2
fi
echo "$PWD/$venv/bin"
