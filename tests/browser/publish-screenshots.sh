#!/usr/bin/env bash
# Copies the main pages' screenshots of a browser-test run into
# docs/screenshots/, compressed with pngquant (Debian: apt-get install pngquant).
# Usage: tests/browser/publish-screenshots.sh target/screenshots/<run>
set -euo pipefail
run=${1:?usage: $0 target/screenshots/<run>}
cd "$(dirname "$0")/../.."
command -v pngquant >/dev/null 2>&1 || { echo "pngquant is missing: apt-get install pngquant" >&2; exit 1; }
mkdir -p docs/screenshots
for page in team-overview agent-detail drilldown my-scorecard review-detail technician-scorecard admin-team settings-history audit-log settings settings-preview; do
  for variant in 1280-light 1280-dark 375-light 375-dark; do
    src="$run/$page-$variant.png"
    [ -f "$src" ] || { echo "missing $src" >&2; exit 1; }
    pngquant --quality=60-85 --speed 1 --strip --force --output "docs/screenshots/$page-$variant.png" "$src"
  done
done
du -ch docs/screenshots/*.png | tail -1
