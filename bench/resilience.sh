#!/usr/bin/env bash
# resilience.sh: the full form of issue 10's resilience checks (docs/performance.md, "Resilience").
# The same test programs as the short form that CI runs (CTest label resilience), for longer:
# - soak: tests/api/test_resilience with PCMT_SOAK_SECONDS (default 600): a mixed read/write load
#   from four clients, no error answer, open fds and resident memory flat after the first third;
#   also its overload (503) and slow-request (timeout) checks;
# - crash: tests/api/test_crash with PCMT_CRASH_ROUNDS (default 20) SIGKILLs of `pcmt serve` at
#   random moments of a write stream: every write answered 2xx is there afterwards, unchanged,
#   PRAGMA integrity_check passes (SQLite), a consistency query finds every person with its search
#   tokens and sealed and every test in its person's province (both), `pcmt audit verify` finds the
#   chain intact;
# - oversized bodies: tests/api/test_validation (413 before or while the body is read).
# With --pg each runs again on a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh).
#
# usage: bench/resilience.sh [--build DIR] [--soak-seconds N] [--crash-rounds N] [--pg] [--pg-only]
#   --build   a configured and built tree with the tests (default build, else build-bench)
#   --pg-only PostgreSQL alone
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=""
soak=600
rounds=20
pg=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--soak-seconds) soak=$2; shift 2 ;;
	--crash-rounds) rounds=$2; shift 2 ;;
	--pg) pg=1; shift ;;
	--pg-only) pg=2; shift ;;
	-h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "resilience.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
if [ -z "$build" ]; then
	for b in "$src/build" "$src/build-bench"; do
		[ -x "$b/tests/api_test_resilience" ] && { build=$b; break; }
	done
fi
[ -x "${build:-}/tests/api_test_resilience" ] ||
	{ echo "resilience.sh: no built tests (cmake -S . -B build && cmake --build build, or --build DIR)" >&2; exit 2; }
cluster=""
trap '[ -z "$cluster" ] || "$src/scripts/pg-test-cluster.sh" stop "$cluster"' EXIT
export PCMT_BIN=$build/pcmt LSAN_OPTIONS=suppressions=$src/tests/lsan.supp

echo "resilience: soak $soak s, $rounds crash rounds; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
backends=sqlite
if [ "$pg" != 0 ]; then
	cluster=$("$src/scripts/pg-test-cluster.sh" start)
	export PCMT_TEST_PG
	PCMT_TEST_PG=$(cat "$cluster/url")
	backends="sqlite pg"
	[ "$pg" = 1 ] || backends=pg
fi
rc=0
for b in $backends; do
	for t in test_resilience test_crash test_validation; do
		start=$(date +%s)
		if PCMT_TEST_BACKEND=$b PCMT_SOAK_SECONDS=$soak PCMT_CRASH_ROUNDS=$rounds \
			"$build/tests/api_$t" >"$build/resilience-$b-$t.log" 2>&1; then
			res=passed
		else
			res=FAILED
			rc=1
		fi
		printf '%-7s %-16s %s in %s s (load %s)\n' "$b" "$t" "$res" "$(($(date +%s) - start))" "$(cut -d' ' -f1 /proc/loadavg)"
		grep -E '^(soak|round|slow|crash)' "$build/resilience-$b-$t.log" | sed 's/^/        /' || true
		[ "$res" = passed ] || tail -20 "$build/resilience-$b-$t.log"
	done
done
exit $rc
