#!/usr/bin/env bash
# Installs what deploy/tests/run.sh needs; idempotent (each step is skipped when already satisfied).
#   * shellcheck (Debian)
#   * /var/cache/bookstore/deploy-venv: pytest, kubernetes-validate, checkov, PyYAML (requirements.txt)
#   * /var/cache/bookstore/superset-venv: apache-superset for the real bundle import (requirements-superset.txt)
#   * /var/cache/bookstore/deploy-node: the CRD schema models for Istio and Gateway API (crd-validate/)
# kubectl (for `kubectl kustomize`) and node/npm are expected on the machine already.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${BOOKSTORE_CACHE:-/var/cache/bookstore}"
venv="$cache/deploy-venv"
superset_venv="$cache/superset-venv"
node_dir="$cache/deploy-node"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

for tool in kubectl node npm python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required but not installed"
done

if ! command -v shellcheck >/dev/null 2>&1; then
  log "installing shellcheck"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 shellcheck >/dev/null
fi

# A venv is (re)built when its requirements file changed: the file's hash is stored inside it.
ensure_venv() {
  local dir="$1" requirements="$2" stamp
  stamp="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [[ -x "$dir/bin/python" && "$(cat "$dir/.requirements.sha256" 2>/dev/null)" == "$stamp" ]]; then
    return
  fi
  log "installing $(basename "$requirements") into $dir"
  mkdir -p "$cache"
  [[ -x "$dir/bin/python" ]] || python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  printf '%s\n' "$stamp" >"$dir/.requirements.sha256"
}
ensure_venv "$venv" "$here/requirements.txt"
ensure_venv "$superset_venv" "$here/requirements-superset.txt"

stamp="$(cat "$here/crd-validate/package.json" "$here/crd-validate/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$node_dir/.lock.sha256" 2>/dev/null)" != "$stamp" ]]; then
  log "installing CRD schema models into $node_dir"
  mkdir -p "$node_dir"
  cp "$here/crd-validate/package.json" "$here/crd-validate/package-lock.json" "$node_dir/"
  (cd "$node_dir" && npm ci --silent --no-audit --no-fund)
  printf '%s\n' "$stamp" >"$node_dir/.lock.sha256"
fi
log "deploy test tools ready"
