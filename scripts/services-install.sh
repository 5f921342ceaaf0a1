#!/usr/bin/env bash
# npm run services:install — installs the servers the native stack provider runs, for
# machines without Docker: Redis, RabbitMQ and Prometheus from apt, MinIO and Toxiproxy built from their
# Go modules (MinIO's community edition ships as source only) into a cache folder that
# shared/stack/binaries.ts looks in. Non-interactive and idempotent: run it again any time.
set -euo pipefail

# Pinned builds. A new pin rebuilds on the next run (the .version stamps no longer match).
MINIO_MODULE=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
TOXIPROXY_MODULE=github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0

BIN_DIR="${NWS_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nws-watermark-labs/bin}"
LOG="$(mktemp -t nws-services-install.XXXXXX)"
WORK=""
trap 'rm -f "$LOG"; [ -z "$WORK" ] || rm -rf "$WORK"' EXIT

say() { echo "services:install: $*"; }
fail() { echo "services:install: $*" >&2; exit 1; }
# Runs a quiet command; on failure shows the end of its output.
quietly() {
  if ! "$@" >"$LOG" 2>&1; then
    tail -n 15 "$LOG" >&2
    fail "'$*' failed (output above)"
  fi
}

# Debian packages of the native servers; their system services are stopped: the tests start
# their own on random ports, and a system one would only hold the default port and memory.
APT_PACKAGES=(redis-server rabbitmq-server prometheus)

install_apt_packages() {
  local t0=$SECONDS
  local list="${APT_PACKAGES[*]}"
  local installed
  installed="$(dpkg-query -W -f='${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null | grep -c '^installed$' || true)"
  if [ "$installed" = "${#APT_PACKAGES[@]}" ]; then
    say "$list already installed with apt ($((SECONDS - t0)) s)"
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "installing $list needs root: run 'apt-get install -y $list' as root, then this again"
    # -n: never wait for a password prompt (CI has no stdin).
    sudo -n true 2>/dev/null || fail "installing $list needs root: run 'sudo apt-get install -y $list', then this again"
    sudo="sudo -n"
  fi
  quietly $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  quietly $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${APT_PACKAGES[@]}"
  if [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now "${APT_PACKAGES[@]}" >/dev/null 2>&1 || true
  else
    for unit in "${APT_PACKAGES[@]}"; do $sudo service "$unit" stop >/dev/null 2>&1 || true; done
  fi
  # The broker's port mapper outlives the service it came with; the native provider runs its own.
  $sudo pkill -u rabbitmq -x epmd >/dev/null 2>&1 || true
  say "installed $list with apt, system services stopped ($((SECONDS - t0)) s)"
}

assert_go() {
  command -v go >/dev/null || fail "Go is needed to build MinIO and Toxiproxy: install Go 1.24 or newer from https://go.dev/dl/ (or your package manager), make sure 'go' is on PATH, then run npm run services:install again"
  local version minor
  version="$(go env GOVERSION)"
  minor="$(echo "$version" | sed -E 's/^go1\.([0-9]+).*/\1/')"
  # Go 1.21+ fetches the newer toolchain MinIO's go.mod asks for by itself.
  [ "$minor" -ge 21 ] 2>/dev/null || fail "$version is too old to build MinIO: install Go 1.24 or newer from https://go.dev/dl/, then run npm run services:install again"
}

# build <name in BIN_DIR> <module@version> <binary name go install produces>
build() {
  local name=$1 module=$2 built=$3 t0=$SECONDS
  local stamp="$BIN_DIR/$name.version"
  if [ -x "$BIN_DIR/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$module" ]; then
    say "$name already built from $module ($((SECONDS - t0)) s)"
    return
  fi
  assert_go
  say "building $name from $module (MinIO takes a few minutes, Toxiproxy about one) …"
  WORK="$(mktemp -d -t nws-go-build.XXXXXX)"
  # CGO off: no C compiler needed, and the binaries do not depend on the system's libc.
  quietly env GOBIN="$WORK" CGO_ENABLED=0 go install "$module"
  # Move within BIN_DIR, then rename: a half-copied binary is never left under its real name.
  cp "$WORK/$built" "$BIN_DIR/.$name.partial"
  mv -f "$BIN_DIR/.$name.partial" "$BIN_DIR/$name"
  echo "$module" >"$stamp"
  rm -rf "$WORK"
  WORK=""
  say "built $name into $BIN_DIR ($((SECONDS - t0)) s)"
}

case "$(uname -s)" in
  Linux)
    command -v apt-get >/dev/null || fail "this installer knows apt (Debian/Ubuntu) only: install redis-server, rabbitmq-server and prometheus with your package manager, or use Docker (see README)"
    install_apt_packages
    ;;
  Darwin)
    fail "on macOS run: brew install redis rabbitmq minio toxiproxy prometheus (the native provider finds them on PATH), or use Docker"
    ;;
  *)
    fail "unsupported system $(uname -s): use Docker, or WSL on Windows"
    ;;
esac

mkdir -p "$BIN_DIR"
build minio "$MINIO_MODULE" minio
build toxiproxy-server "$TOXIPROXY_MODULE" server
say "done in $SECONDS s; the native servers are ready (MinIO and Toxiproxy in $BIN_DIR)"
echo "Next: npm test   (or STACK_PROVIDER=native npm test to skip the Docker check)"
