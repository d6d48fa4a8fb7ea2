#!/bin/sh
# pg-test-cluster.sh: a throwaway PostgreSQL server for the tests labelled pg (dev.sh test).
#   scripts/pg-test-cluster.sh start   prints the cluster's directory; its base URL is in DIR/url
#   scripts/pg-test-cluster.sh stop DIR stops it and removes DIR
# The server runs from the Debian packages (postgresql, see apt-packages.txt) in a mktemp directory,
# as the calling user, or as `nobody` when called as root (PostgreSQL refuses to run as root). It
# listens on no TCP port at all: only on a unix socket inside that directory, with trust
# authentication, so nothing outside this machine's root and the caller can reach it. fsync is off:
# a crash loses a cluster that is thrown away anyway.
set -eu

bindir() {
	d=""
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
	fi
	if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
		d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	fi
	if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
		echo "pg-test-cluster: initdb not found (apt-get install postgresql)" >&2
		exit 1
	fi
	echo "$d"
}

# as_owner CMD...: runs CMD as the cluster's owner
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

case "${1:-}" in
start)
	bin=$(bindir)
	dir=$(mktemp -d /tmp/pcmt-pg-XXXXXX)
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody "$dir"
	fi
	chmod 700 "$dir"
	cd "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U pcmt --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		exit 1
	}
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB" \
		start >/dev/null || {
		cat "$dir/server.log" >&2
		rm -rf "$dir"
		exit 1
	}
	echo "postgresql://pcmt@/postgres?host=$dir" >"$dir/url"
	echo "$dir"
	;;
stop)
	dir=${2:?usage: pg-test-cluster.sh stop DIR}
	case "$dir" in /tmp/pcmt-pg-*) ;; *) echo "pg-test-cluster: not a test cluster: $dir" >&2; exit 2 ;; esac
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: scripts/pg-test-cluster.sh start | stop DIR" >&2
	exit 2
	;;
esac
