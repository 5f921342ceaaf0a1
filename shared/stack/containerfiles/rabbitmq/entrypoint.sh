#!/bin/sh
# Writes the settings the official image ships (guest allowed beyond loopback, AMQP on 5672,
# the log on the console) and the default user from the environment, then runs the command
# as the rabbitmq user, as the official image does.
set -e
if [ "$1" = rabbitmq-server ]; then
  {
    echo '# Written by docker-entrypoint.sh at each start.'
    echo 'loopback_users.guest = false'
    echo 'listeners.tcp.default = 5672'
    echo 'log.console = true'
    [ -z "${RABBITMQ_DEFAULT_USER:-}" ] || echo "default_user = $RABBITMQ_DEFAULT_USER"
    [ -z "${RABBITMQ_DEFAULT_PASS:-}" ] || echo "default_pass = $RABBITMQ_DEFAULT_PASS"
    [ -z "${RABBITMQ_DEFAULT_VHOST:-}" ] || echo "default_vhost = $RABBITMQ_DEFAULT_VHOST"
  } >/etc/rabbitmq/rabbitmq.conf
  if [ "$(id -u)" = 0 ]; then
    chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$@"
  fi
fi
exec "$@"
