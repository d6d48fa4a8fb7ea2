#!/bin/sh
# dev.sh: the two Quick start commands of the README.
#   ./dev.sh run    install what is missing, build, create the demo province, serve on :8080
#   ./dev.sh test   install what is missing, build, run every test (normal build, then ASan+UBSan),
#                   the store and API tests on SQLite and again on a throwaway PostgreSQL server,
#                   then the libFuzzer harnesses of fuzz/ for a bounded time each
set -eu
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)

build() { # build DIR [CMAKE OPTIONS...]
	dir=$1
	shift
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$dir" -j "$jobs"
}

# The web UI's npm packages (chart.js, playwright-core) as package-lock.json pins them; again only
# when the lock file changed since the last install.
node_deps() {
	if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		npm ci --no-audit --no-fund
	fi
}

case "${1:-}" in
run)
	scripts/install-deps.sh
	node_deps
	build build
	db=${PCMT_DB:-pcmt-demo.db}
	[ -f "$db" ] || build/pcmt demo --db "$db" --scale province
	exec build/pcmt serve --db "$db" --port "${PORT:-8080}" --bind "${BIND:-127.0.0.1}"
	;;
test)
	scripts/install-deps.sh
	node_deps
	# the browser tests may not skip here: chromium and playwright-core were just installed
	PCMT_BROWSER_REQUIRED=1
	export PCMT_BROWSER_REQUIRED
	# the pg-labelled tests' server, stopped (and its directory removed) however this ends
	pgdir=$(scripts/pg-test-cluster.sh start)
	trap 'scripts/pg-test-cluster.sh stop "$pgdir"' EXIT
	trap 'exit 130' INT TERM
	PCMT_TEST_PG=$(cat "$pgdir/url")
	export PCMT_TEST_PG
	build build
	ctest --test-dir build --output-on-failure -j "$jobs"
	build build-asan -DPCMT_SANITIZE=ON
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan --output-on-failure -j "$jobs"
	# the libFuzzer harnesses (fuzz/, clang), each for a bounded time (PCMT_FUZZ_SECONDS, default 30)
	build build-fuzz -DCMAKE_C_COMPILER=clang -DPCMT_FUZZ=ON -DPCMT_TESTS=OFF -DPCMT_BENCH=OFF \
		-DPCMT_FUZZ_SECONDS="${PCMT_FUZZ_SECONDS:-30}"
	ctest --test-dir build-fuzz -L fuzz --output-on-failure -j "$jobs"
	;;
*)
	echo "usage: ./dev.sh run | test" >&2
	exit 2
	;;
esac
