#!/usr/bin/env bash
# Installs the pinned schemathesis (requirements.txt) into a venv under the
# workspace's target dir: target/test-tools/schemathesis (or under
# $CARGO_TARGET_DIR). Idempotent: does nothing when the venv already holds
# exactly these requirements. Prints the path of the `st` executable last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
venv="$target/test-tools/schemathesis"
requirements="$here/requirements.txt"

if ! command -v python3 >/dev/null 2>&1; then
  echo "tests/fuzz/install.sh: python3 is missing; install it (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if [ -x "$venv/bin/st" ] && cmp -s "$requirements" "$venv/installed-requirements.txt"; then
  echo "$venv/bin/st"
  exit 0
fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  echo "tests/fuzz/install.sh: python3 cannot create a venv (no ensurepip); install python3-venv" >&2
  exit 1
fi
echo "installing $(grep -v '^#' "$requirements" | tr '\n' ' ')into $venv" >&2
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
"$venv/bin/st" --version >&2
cp "$requirements" "$venv/installed-requirements.txt"
echo "$venv/bin/st"
