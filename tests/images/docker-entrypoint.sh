#!/bin/sh
# The entrypoint of the vgservers test image: the official nginx, postgres and redis images'
# entrypoints in one, chosen by the command as theirs are. Each starts as root, prepares what it
# owns, then drops to the server's user (gosu) or lets the server drop itself (nginx's workers).
set -eu

case "${1:-}" in
postgres)
	PGDATA=${PGDATA:-/var/lib/postgresql/data}
	export PGDATA
	if [ "$(id -u)" = 0 ]; then
		# As the official image: the data directory and the socket directory belong to
		# postgres whatever owned them before (a volume Docker created as root).
		mkdir -p "$PGDATA" /run/postgresql
		chown -R postgres "$PGDATA"
		chmod 0700 "$PGDATA"
		chown postgres:postgres /run/postgresql
		chmod 2775 /run/postgresql
		if [ ! -s "$PGDATA/PG_VERSION" ]; then
			gosu postgres initdb --auth=trust --username=postgres --encoding=UTF8 \
				--locale=C.UTF-8 -D "$PGDATA" >/dev/null
		fi
		# Only the unix socket (/run/postgresql): the tests run with --network none.
		exec gosu postgres "$@" -c listen_addresses= -c jit=off
	fi
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		initdb --auth=trust --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
			-D "$PGDATA" >/dev/null
	fi
	exec "$@" -c listen_addresses= -c jit=off
	;;
redis-server)
	if [ "$(id -u)" = 0 ]; then
		# As the official image: /data is redis's, then the server runs as redis.
		find /data \! -user redis -exec chown redis '{}' +
		exec gosu redis "$@"
	fi
	exec "$@"
	;;
nginx)
	# The master runs as root (it binds port 80, opens the logs, makes its temp dirs) and
	# starts its workers as www-data (nginx.conf's user directive).
	exec "$@"
	;;
esac
exec "$@"
