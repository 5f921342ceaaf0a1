#!/usr/bin/env bash
# npm run podman -- install|start|stop|status|env — rootful podman serving the Docker API, for
# machines without Docker: the containers provider (testcontainers) then runs the servers as
# containers through it. Used by .ci/run and by a learner alike:
#   npm run podman -- start            # writes containers.conf, starts `podman system service`
#   eval "$(npm run -s podman -- env)" # DOCKER_HOST and friends, for this shell
#   STACK_PROVIDER=containers npm start
#   npm run podman -- stop             # removes the stack's containers, stops the service
# Two settings this kind of machine needs live in the containers.conf it writes (under the
# user's cache dir, passed with CONTAINERS_CONF to every podman call): runc, because crun
# refuses hybrid cgroups; fixed ulimits, because root without CAP_SYS_RESOURCE cannot raise
# them to podman's defaults.
set -euo pipefail

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/nws-watermark-labs/podman"
CONF="$CACHE/containers.conf"
SOCK="$CACHE/podman.sock"
PIDFILE="$CACHE/service.pid"
LOGFILE="$CACHE/service.log"
# Every container the containers provider starts carries this label, and its network this name
# prefix (shared/stack/engine-api.ts).
STACK_LABEL=nws-watermark-labs.stack
STACK_NETWORK_PREFIX=nws-stack-
PACKAGES="podman runc uidmap slirp4netns fuse-overlayfs debootstrap netavark aardvark-dns containernetworking-plugins"
START_TIMEOUT_S=20

say() { echo "podman: $*" >&2; }
fail() { echo "podman: $*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" -eq 0 ] || fail "$1 needs root (rootful podman): run it with sudo, or use Docker or the native servers (see README)"
}

cmd_install() {
  local t0=$SECONDS missing=""
  for pkg in $PACKAGES; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing="$missing $pkg"
  done
  if [ -z "$missing" ]; then
    say "podman and its helpers already installed ($((SECONDS - t0)) s)"
    return
  fi
  command -v apt-get >/dev/null || fail "this installer knows apt (Debian/Ubuntu) only: install podman with your package manager"
  need_root "installing$missing"
  say "installing$missing with apt …"
  local log
  log="$(mktemp -t nws-podman-install.XXXXXX)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing; } >"$log" 2>&1; then
    tail -n 15 "$log" >&2
    rm -f "$log"
    fail "apt-get install$missing failed (output above)"
  fi
  rm -f "$log"
  say "installed$missing ($((SECONDS - t0)) s)"
}

cmd_conf() {
  mkdir -p "$CACHE"
  local want
  want='# Written by scripts/podman.sh; passed to podman with CONTAINERS_CONF.
[containers]
# Root here lacks CAP_SYS_RESOURCE: the default limits cannot be raised, so pin them.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
# crun refuses this machine'"'"'s hybrid cgroups (v1 with a v2 mount); runc runs them.
runtime = "runc"'
  [ "$(cat "$CONF" 2>/dev/null)" = "$want" ] || printf '%s\n' "$want" >"$CONF"
  echo "$CONF"
}

service_pid() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = podman ] && echo "$pid"
}

answers() {
  CONTAINERS_CONF="$CONF" podman --url "unix://$SOCK" version >/dev/null 2>&1
}

cmd_start() {
  command -v podman >/dev/null || fail "podman is not installed: npm run podman -- install (or npm run services:images, which installs it)"
  need_root "the Docker API service"
  cmd_conf >/dev/null
  local pid
  if pid="$(service_pid)" && answers; then
    say "already serving the Docker API on unix://$SOCK (pid $pid)"
    return
  fi
  rm -f "$SOCK"
  prune_stale_rules
  # setsid: its own session, so a Ctrl-C meant for the shell that started it does not stop it.
  CONTAINERS_CONF="$CONF" setsid podman system service --time=0 "unix://$SOCK" >"$LOGFILE" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  local deadline=$((SECONDS + START_TIMEOUT_S))
  until answers; do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      tail -n 10 "$LOGFILE" >&2
      fail "podman system service exited at start (log above, $LOGFILE)"
    fi
    [ $SECONDS -lt $deadline ] || fail "podman system service did not answer on unix://$SOCK within ${START_TIMEOUT_S} s (log: $LOGFILE)"
    sleep 0.2
  done
  say "serving the Docker API on unix://$SOCK (pid $(cat "$PIDFILE"))"
  say "Next: eval \"\$(npm run -s podman -- env)\", then STACK_PROVIDER=containers npm start (or npm test -- --part containers)"
}

cmd_env() {
  # What testcontainers needs to find the service: Ryuk's image cannot be pulled without a
  # registry, so it is off and shared/stack/reaper.ts removes the containers instead.
  echo "export CONTAINERS_CONF='$CONF'"
  echo "export DOCKER_HOST='unix://$SOCK'"
  echo "export TESTCONTAINERS_RYUK_DISABLED=true"
  # Containers publish their ports on the host's loopback; testcontainers would otherwise take
  # the bridge gateway as the host wherever a /.dockerenv exists.
  echo "export TESTCONTAINERS_HOST_OVERRIDE=localhost"
  # The images npm run services:images builds, when it has: no registry is needed.
  if [ -n "$(CONTAINERS_CONF="$CONF" podman images -q --filter reference='localhost/nws-*' 2>/dev/null)" ]; then
    echo "export NWS_IMAGES=local"
  fi
}

# The stack's containers (and the networks testcontainers made for them), stopped and removed.
remove_stack_containers() {
  local ids
  ids="$(CONTAINERS_CONF="$CONF" podman ps -aq --filter "label=$STACK_LABEL" 2>/dev/null || true)"
  if [ -n "$ids" ]; then
    CONTAINERS_CONF="$CONF" podman rm -f -t 2 $ids >/dev/null
    say "removed $(echo "$ids" | wc -l) container(s) of the stack"
  fi
  local nets
  nets="$(CONTAINERS_CONF="$CONF" podman network ls --format '{{.Name}}' 2>/dev/null | grep "^$STACK_NETWORK_PREFIX" || true)"
  [ -z "$nets" ] || CONTAINERS_CONF="$CONF" podman network rm -f $nets >/dev/null 2>&1 || true
}

# podman 4.3 leaves a container's port-forwarding rules behind when the container is removed
# while it starts (a runner killed mid-start; the no-orphan tests do it on purpose). Such a
# rule still sends the host port to the dead container's address, so a later server or test
# process that gets that port from the kernel answers EHOSTUNREACH (seen in a containers pass:
# the optimizer of lab 04's timing tests). The rules name their container: those of
# containers that no longer exist are deleted, and netavark's chains nothing jumps to.
prune_stale_rules() {
  command -v iptables >/dev/null || return 0
  local live rule cid pruned=0 chain
  live="$(CONTAINERS_CONF="$CONF" podman ps -aq --no-trunc 2>/dev/null || true)"
  while IFS= read -r rule; do
    cid="$(printf '%s\n' "$rule" | sed -nE 's/.* id: ([0-9a-f]{64}).*/\1/p')"
    [ -n "$cid" ] || continue
    if ! printf '%s\n' "$live" | grep -qx "$cid"; then
      # iptables -S prints the rule as it was added, quotes included: the same words delete it.
      eval "iptables -t nat -D ${rule#-A }" && pruned=$((pruned + 1))
    fi
  done < <(iptables -t nat -S 2>/dev/null | grep -- '^-A NETAVARK-HOSTPORT-DNAT .* id: ' || true)
  for chain in $(iptables -t nat -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^NETAVARK-DN-/ { print $2 }'); do
    if ! iptables -t nat -S 2>/dev/null | grep -q -- "-j $chain\$"; then
      iptables -t nat -F "$chain" && iptables -t nat -X "$chain"
    fi
  done
  [ "$pruned" = 0 ] || say "deleted $pruned port-forwarding rule(s) podman left for removed containers"
}

cmd_stop() {
  command -v podman >/dev/null || { say "podman is not installed: nothing to stop"; return; }
  remove_stack_containers
  local pid
  if pid="$(service_pid)"; then
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    say "stopped the Docker API service (pid $pid)"
  else
    say "the Docker API service was not running"
  fi
  rm -f "$PIDFILE" "$SOCK"
  prune_stale_rules
  # conmon outlives a container's exec sessions for minutes while the service runs; with the
  # service stopped and the containers removed, none may be left.
  local left
  left="$(CONTAINERS_CONF="$CONF" podman ps -q --filter "label=$STACK_LABEL" 2>/dev/null | wc -l)"
  [ "$left" = 0 ] || fail "$left container(s) of the stack still run: podman ps --filter label=$STACK_LABEL"
}

cmd_status() {
  local pid
  if pid="$(service_pid)" && answers; then
    say "serving the Docker API on unix://$SOCK (pid $pid)"
  else
    say "not running (npm run podman -- start)"
  fi
  CONTAINERS_CONF="$CONF" podman ps -a --filter "label=$STACK_LABEL" --format '{{.ID}} {{.Image}} {{.Status}}' 2>/dev/null | sed 's/^/  /' >&2 || true
}

case "${1:-}" in
  install) cmd_install ;;
  conf) cmd_conf ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *)
    echo "Usage: npm run podman -- install|start|stop|status|env" >&2
    echo "  install  apt-get install podman and its helpers (root)" >&2
    echo "  start    the Docker API on unix://$SOCK, with $CONF" >&2
    echo "  env      the exports for testcontainers: eval \"\$(npm run -s podman -- env)\"" >&2
    echo "  stop     remove the stack's containers, stop the service" >&2
    echo "  status   whether it runs, and the stack's containers" >&2
    exit 2
    ;;
esac
