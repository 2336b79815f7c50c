#!/usr/bin/env bash
# Shared by deploy/scripts/{up,recover,down} and deploy/tests/run.sh. Source it; it defines functions only.
# The constants are read by the scripts that source this file, which shellcheck cannot see from here:
# shellcheck disable=SC2034

# Pinned versions of what `up` installs into the cluster.
readonly CLUSTER_NAME="${BOOKSTORE_CLUSTER:-bookstore}"
readonly ISTIO_VERSION="1.28.0"
readonly GATEWAY_API_VERSION="v1.4.0"
readonly BOOKSTORE_VERSION="0.1.0"

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"
SECRETS_DIR="$DEPLOY_DIR/kustomize/base/secrets"
OVERLAY_DIR="$DEPLOY_DIR/kustomize/overlays/kind"
export DEPLOY_DIR REPO_DIR SECRETS_DIR OVERLAY_DIR

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed (needed by $(basename "$0"))"
  done
}

# 32 letters and digits: safe inside the database and Redis URLs the Deployments compose.
random_secret() {
  head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-32
}

# For every secrets/<name>.example.env without a secrets/<name>.env, write the latter with each CHANGE_ME
# replaced by its own random value. Existing files are never touched (the cluster's volumes were
# initialised with those passwords).
ensure_secrets() {
  local example target line
  for example in "$SECRETS_DIR"/*.example.env; do
    target="${example%.example.env}.env"
    [[ -e "$target" ]] && continue
    log "generating $(basename "$target") from $(basename "$example")"
    umask 077
    : >"$target"
    while IFS= read -r line || [[ -n "$line" ]]; do
      if [[ "$line" == *=CHANGE_ME ]]; then
        printf '%s=%s\n' "${line%%=*}" "$(random_secret)" >>"$target"
      else
        printf '%s\n' "$line" >>"$target"
      fi
    done <"$example"
  done
}

cluster_exists() {
  kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"
}

kube() {
  kubectl --context "kind-$CLUSTER_NAME" "$@"
}

readonly NAMESPACES=(data identity shop analytics observability)
