#!/usr/bin/env bash
# Browser tests of the web console (docs/console.md): installs what they need, then runs them.
#   - Chromium from Debian (apt) if /usr/bin/chromium is missing (or $CHROMIUM is set)
#   - the npm packages of package-lock.json (playwright-core only; it downloads no browser)
#   - target/debug/simplepg built with cargo unless $SIMPLEPG_BIN names a binary
# Then runs every *.test.mjs here (or only the files given: run.sh roles.test.mjs).
# Needs MariaDB as for the other tests (TEST_DATABASE_ADMIN_URL, default mysql://root@127.0.0.1:3306).
set -euo pipefail
cd "$(dirname "$0")"
repo="$(cd ../.. && pwd)"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "==> installing chromium (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "==> installing nodejs and npm (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

echo "==> npm ci"
npm ci --no-audit --no-fund --loglevel=error

if [ -z "${SIMPLEPG_BIN:-}" ]; then
  echo "==> cargo build -p app-server"
  (cd "$repo" && cargo build -p app-server)
  export SIMPLEPG_BIN="$repo/target/debug/simplepg"
fi

# Every *.test.mjs (or the files named as arguments), one after the other (each starts its own
# server on its own database); the totals of their closing lines ("<suite>: N passed, M failed")
# are added up.
if [ "$#" -gt 0 ]; then files=("$@"); else files=(*.test.mjs); fi
rm -rf output
passed=0
failed=0
status=0
for file in "${files[@]}"; do
  echo "==> browser tests: $file"
  log="$(mktemp)"
  node "$file" 2>&1 | tee "$log" || status=1
  line="$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)"
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "$file printed no result line"
    failed=$((failed + 1))
    status=1
    continue
  fi
  passed=$((passed + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
  failed=$((failed + $(echo "$line" | sed -E 's/.*passed, ([0-9]+) failed/\1/')))
done
echo
echo "browser: $passed passed, $failed failed"
exit "$status"
