#!/usr/bin/env bash
# Runs Hive on a throwaway local PostgreSQL (make run-postgres): a cluster
# of its own in $PG_DIR/cluster, created on first use, listening on
# 127.0.0.1:$PG_PORT only, with a database "hive" owned by the user "hive"
# (password $PG_PASSWORD); Hive's data dir (saved read models, the first
# admin token) is $PG_DIR/hive. PostgreSQL refuses to run as root, so as
# root the cluster runs as the postgres user. The cluster stops when Hive
# does; rm -rf $PG_DIR throws everything away.
set -euo pipefail

hive=${HIVE_BIN:?the hive binary}
addr=${ADDR:-127.0.0.1:8080}
pg_dir=$(realpath -m "${PG_DIR:-./data-pg}")
pg_port=${PG_PORT:-54329}
pg_password=${PG_PASSWORD:-hive}
bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
cluster=$pg_dir/cluster

as_server=()
if [ "$(id -u)" = 0 ]; then
	as_server=(runuser -u postgres --)
fi

if [ ! -f "$cluster/PG_VERSION" ]; then
	mkdir -p "$cluster"
	chmod 0755 "$pg_dir"
	chmod 0700 "$cluster"
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$cluster"
	fi
	pwfile=$(mktemp)
	trap 'rm -f "$pwfile"' EXIT
	printf '%s\n' "$pg_password" >"$pwfile"
	chmod 0644 "$pwfile"
	"${as_server[@]}" "$bindir/initdb" --pgdata="$cluster" --username=hive --pwfile="$pwfile" \
		--auth=scram-sha-256 --encoding=UTF8 --no-instructions >/dev/null
	rm -f "$pwfile"
	trap - EXIT
fi

"${as_server[@]}" "$bindir/pg_ctl" --pgdata="$cluster" --log="$cluster/server.log" --wait --silent \
	-o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start
trap '"${as_server[@]}" "$bindir/pg_ctl" --pgdata="$cluster" --mode=fast --wait --silent stop' EXIT

export PGPASSWORD=$pg_password
if [ -z "$("$bindir/psql" -h 127.0.0.1 -p "$pg_port" -U hive -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'hive'")" ]; then
	"$bindir/createdb" -h 127.0.0.1 -p "$pg_port" -U hive hive
fi
unset PGPASSWORD

echo "PostgreSQL in $cluster on 127.0.0.1:$pg_port; Hive's data dir $pg_dir/hive"
# Not exec: the trap stops the cluster once Hive has stopped.
"$hive" serve --addr "$addr" --data-dir "$pg_dir/hive" --store "postgres://hive:$pg_password@127.0.0.1:$pg_port/hive"
