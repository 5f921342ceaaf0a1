#!/bin/sh
# Like the official image's entrypoint: arguments that are not a command are minio's.
set -e
if [ -n "${1:-}" ] && [ "$1" != minio ] && ! command -v "$1" >/dev/null 2>&1; then
  set -- minio "$@"
fi
exec "$@"
