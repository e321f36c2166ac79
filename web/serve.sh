#!/usr/bin/env bash
# Serves dist/ (web/build.sh writes it) on loopback: web/serve.sh [PORT]
# (default 8080), then open http://127.0.0.1:PORT/ . Any static file server
# does as well; this one needs only Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node web/serve.mjs "${DIST:-dist}" "${1:-8080}"
