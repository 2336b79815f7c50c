#!/usr/bin/env bash
# Offline validation of deploy/: renders the kind overlay and runs every check on it (pytest).
# Run deploy/tests/install.sh first. Exits non-zero when any check fails; the last line is pytest's summary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${BOOKSTORE_CACHE:-/var/cache/bookstore}"
export BOOKSTORE_CACHE="$cache"
venv="$cache/deploy-venv"
[[ -x "$venv/bin/pytest" ]] || { echo "error: $venv missing: run deploy/tests/install.sh" >&2; exit 2; }

# kustomize needs the git-ignored secret files; create them (random values) exactly as `up` would.
# shellcheck source=deploy/scripts/lib.sh
source "$here/../scripts/lib.sh"
ensure_secrets

cd "$here"
exec "$venv/bin/pytest" -p no:cacheprovider -q -rfE "$@"
