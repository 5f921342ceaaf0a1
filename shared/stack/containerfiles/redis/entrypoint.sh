#!/bin/sh
# Like the official image's entrypoint: `-…` or `….conf` first means redis-server's
# arguments; redis-server runs as the redis user. The official image is built with protected
# mode off (other containers reach it without a password); Debian's keeps it on, so it is
# turned off here, before the caller's arguments so that theirs still win.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ]; then
  shift
  if [ "${1%.conf}" != "${1:-}" ]; then
    conf=$1
    shift
    set -- redis-server "$conf" --protected-mode no "$@"
  else
    set -- redis-server --protected-mode no "$@"
  fi
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis . 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
