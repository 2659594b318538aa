#!/usr/bin/env bash
# Installs the browser tests' npm packages (playwright-core, axe-core) exactly
# as package-lock.json pins them. Idempotent: does nothing when node_modules
# already matches the lock file. No browser is downloaded: the tests drive
# Debian's /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "tests/browser/install.sh: '$tool' is missing; install Debian's nodejs and npm (apt-get install nodejs npm)" >&2
    exit 1
  }
done

stamp=node_modules/.perfledger-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
# Never fetch a browser, whatever a package's install script would like to do.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
echo "$want" >"$stamp"
