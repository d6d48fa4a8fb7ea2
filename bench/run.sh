#!/usr/bin/env bash
# run.sh: the drug-free benchmark in one command (docs/performance.md). Builds pcmt in Release,
# makes (or reuses) the data set, times the plain-SQL baseline with the sqlite3 CLI and the engine
# with pcmt-bench-eval on the same database and date, and prints every figure, the ratio and both
# drug-free counts. With --pg it does the same on PostgreSQL: a throwaway cluster
# (scripts/pg-test-cluster.sh, stopped at the end) loaded with the same data set, the plain SQL of
# bench/drugfree_baseline_pg.sql with psql, and the engine loading its snapshot from PostgreSQL.
# Fails when the engine and a baseline disagree on any commune: a ratio between different answers
# would mean nothing.
#
# usage: bench/run.sh [--scale province|national] [--date YYYY-MM-DD] [--repeat N] [--sql-repeat N]
#                     [--pg] [--pg-load copy|demo]
#   --scale       data set (default: national when `pcmt demo --help` offers it, else province)
#   --date        request date D (default: the data set's "today", $PCMT_BENCH_TODAY)
#   --repeat      engine repetitions per figure (default 20)
#   --sql-repeat  SQL baseline runs, each in a fresh sqlite3 or psql process (default 5)
#   --pg          also on PostgreSQL (needs the postgresql server packages and psql)
#   --pg-load     how the cluster gets the data set: copy (default) = `pcmt copy` from the SQLite
#                 file, demo = `pcmt demo` again straight into PostgreSQL (the same rows)
# Environment:
#   PCMT_BENCH_DIR    where data sets are cached (default bench/data, ignored by git)
#   PCMT_BENCH_BUILD  build directory (default build-bench)
#   PCMT_BENCH_TODAY  the "today" the demo is built for (default 2025-12-31: the same data on every
#                     run and machine; the cache file name carries it)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${PCMT_BENCH_BUILD:-$src/build-bench}
data=${PCMT_BENCH_DIR:-$here/data}
today=${PCMT_BENCH_TODAY:-2025-12-31}
scale=""
date=""
repeat=20
sql_repeat=5
pg=0
pg_load=copy
while [ $# -gt 0 ]; do
	case "$1" in
	--scale) scale=$2; shift 2 ;;
	--date) date=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--sql-repeat) sql_repeat=$2; shift 2 ;;
	--pg) pg=1; shift ;;
	--pg-load) pg_load=$2; shift 2 ;;
	-h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
date=${date:-$today}
case "$pg_load" in copy | demo) ;; *) echo "run.sh: --pg-load must be copy or demo" >&2; exit 2 ;; esac
for tool in cmake sqlite3 python3 awk; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done
if [ "$pg" = 1 ]; then
	command -v psql >/dev/null || { echo "run.sh: psql is needed for --pg" >&2; exit 1; }
fi

# secs T0: seconds since T0 (from date +%s.%N), one decimal
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
# median_ms FILE...: min and median of column 2 + 3 (eval + output, seconds) of the .t files, in ms
median_ms() {
	cat "$@" | awk '{print ($2 + $3) * 1000}' | sort -g |
		awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f", v[1], m}'
}

tmp=$(mktemp -d)
cluster=""
cleanup() {
	if [ -n "$cluster" ]; then "$src/scripts/pg-test-cluster.sh" stop "$cluster" || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "== machine"
echo "cpus      $(nproc) ($(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
echo "memory    $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "kernel    $(uname -sr)"
echo "load      $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min: other work on the machine skews every figure)"
echo "sqlite3   $(sqlite3 --version | cut -d' ' -f1)"
[ "$pg" = 0 ] || echo "psql      $(psql --version | awk '{print $3}')"
echo "commit    $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$src" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"

echo "== build (Release, $build)"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target pcmt pcmt-bench-eval >/dev/null
pcmt=$build/pcmt

if [ -z "$scale" ]; then
	if "$pcmt" demo --help 2>&1 | grep -qw national; then scale=national; else scale=province; fi
fi
case "$scale" in
national) ou=VN ;;
province | small) ou=40 ;;
*) echo "run.sh: --scale must be province or national" >&2; exit 2 ;;
esac

echo "== data set ($scale, today $today)"
mkdir -p "$data"
# The cache key names what makes the data: scale, today, seed and the demo generator's last commit
# ("-dirty" while src/demo has uncommitted changes), so that a changed generator builds afresh.
demo_rev=$(git -C "$src" log -1 --format=%h -- src/demo 2>/dev/null || true)
demo_rev=${demo_rev:-nogit}
git -C "$src" diff --quiet HEAD -- src/demo 2>/dev/null || demo_rev="$demo_rev-dirty"
db="$data/$scale-$today-seed1-$demo_rev.db"
if [ -f "$db" ]; then
	echo "cached    $db"
else
	t0=$(date +%s.%N)
	rm -f "$db.tmp" "$db.tmp-wal" "$db.tmp-shm"
	PCMT_TODAY=$today "$pcmt" demo --db "$db.tmp" --scale "$scale" | sed 's/^/  /'
	mv "$db.tmp" "$db"
	echo "built     $db in $(secs "$t0") s"
fi
"$pcmt" migrate --db "$db" >/dev/null # seeds the rule table that both sides read
echo "size      $(du -h "$db" | cut -f1)"
echo "rows      $(sqlite3 "$db" "SELECT (SELECT count(*) FROM person) || ' persons, ' || (SELECT count(*) FROM drug_test) || ' tests, ' || (SELECT count(*) FROM treatment) || ' treatments, ' || (SELECT count(*) FROM org_unit WHERE kind = 'commune') || ' communes'")"

echo "== plain SQL on SQLite (bench/drugfree_baseline_sqlite.sql, $sql_repeat runs)"
# The baseline's own indexes (bench_*) are dropped before it runs, so that their creation is
# measured on every run of this script, and after, so that the engine loads from the schema pcmt
# ships (an extra index can change the order rows come in).
drop_bench_indexes() {
	sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'bench\_%' ESCAPE '\\'" |
		while read -r ix; do sqlite3 "$db" "DROP INDEX $ix"; done
}
drop_bench_indexes
for i in $(seq 1 "$sql_repeat"); do
	{
		printf "CREATE TEMP TABLE bench_param (d TEXT NOT NULL, root_code TEXT NOT NULL);\n"
		printf "INSERT INTO bench_param VALUES ('%s', '%s');\n.timer on\n" "$date" "$ou"
		cat "$here/drugfree_baseline_sqlite.sql"
	} | sqlite3 -bail -csv "$db" >"$tmp/sql$i.out"
	# seconds (wall clock, "Run Time: real") per phase
	awk -F'[ ,]' '/^phase,/ {ph = $2} /^Run Time:/ {t[ph] += $4}
		END {printf "%.6f %.6f %.6f\n", t["index"], t["eval"], t["output"]}' "$tmp/sql$i.out" >"$tmp/sql$i.t"
done
read -r sql_index _ _ <"$tmp/sql1.t"
read -r sql_min_ms sql_median_ms <<<"$(median_ms "$tmp"/sql*.t)"
sql_total=$(grep '^total,' "$tmp/sql1.out" | cut -d, -f2)
sql_free=$(grep '^total,' "$tmp/sql1.out" | cut -d, -f3)
printf "%-48s %s\n" "extra indexes (first run, one-off)" "$(awk -v s="$sql_index" 'BEGIN {printf "%.3f s", s}')"
printf "%-48s %s\n" "evaluation + output, all $sql_total communes" "min $sql_min_ms ms, median $sql_median_ms ms"
printf "%-48s %s\n" "drug-free communes" "$sql_free of $sql_total"

drop_bench_indexes

echo "== engine on SQLite (pcmt-bench-eval)"
"$build/bench/pcmt-bench-eval" --db "$db" --date "$date" --orgunit "$ou" --repeat "$repeat" \
	--baseline-ms "$sql_median_ms" | tee "$tmp/engine.out"
# get FILE KEY: a value of pcmt-bench-eval's last line, "bench: key=value ..."
get() { sed -n "s/^bench: \(.* \)\{0,1\}$2=\([^ ]*\).*/\2/p" "$1"; }
eng_free=$(get "$tmp/engine.out" drug_free)
eng_total=$(get "$tmp/engine.out" communes)
eng_ms=$(get "$tmp/engine.out" all1_median_ms)
eng0_ms=$(get "$tmp/engine.out" all0_median_ms)
eng_load=$(get "$tmp/engine.out" load_s)

echo "== agreement on SQLite, commune by commune (bench/check_baseline.sh)"
"$here/check_baseline.sh" --pcmt "$pcmt" --db "$db" --orgunit "$ou" "$date"

if [ "$pg" = 1 ]; then
	echo "== PostgreSQL: a throwaway cluster (scripts/pg-test-cluster.sh), loaded by $pg_load"
	cluster=$("$src/scripts/pg-test-cluster.sh" start)
	url="postgresql://pcmt@/pcmt_bench?host=$cluster"
	pgq() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$url" "$@"; }
	echo "cluster   $cluster ($(psql -X -A -t "postgresql://pcmt@/postgres?host=$cluster" -c 'SHOW server_version'), shared_buffers $(psql -X -A -t "postgresql://pcmt@/postgres?host=$cluster" -c 'SHOW shared_buffers'))"
	t0=$(date +%s.%N)
	if [ "$pg_load" = copy ]; then
		# every table with its ids, then both sides read back and compared by counts and digests
		"$pcmt" copy --from "sqlite:$db" --to "$url" >"$tmp/copy.out" ||
			{ cat "$tmp/copy.out" >&2; echo "run.sh: pcmt copy failed" >&2; exit 1; }
		pg_load_s=$(secs "$t0")
		echo "loaded    pcmt copy from $db in $pg_load_s s (counts and digests equal on every table)"
	else
		PCMT_TODAY=$today "$pcmt" demo --db "$url" --scale "$scale" | sed 's/^/  /'
		"$pcmt" migrate --db "$url" >/dev/null
		pg_load_s=$(secs "$t0")
		echo "loaded    pcmt demo --scale $scale in $pg_load_s s"
	fi
	# what a DBA runs after a bulk load (autovacuum would, minutes later): statistics and the
	# visibility map, so that the figures below do not depend on when autovacuum passes
	t0=$(date +%s.%N)
	pgq -c 'VACUUM (ANALYZE)'
	echo "vacuum    VACUUM (ANALYZE) in $(secs "$t0") s"
	echo "size      $(pgq -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
	echo "rows      $(pgq -c "SELECT (SELECT count(*) FROM person) || ' persons, ' || (SELECT count(*) FROM drug_test) || ' tests, ' || (SELECT count(*) FROM treatment) || ' treatments, ' || (SELECT count(*) FROM org_unit WHERE kind = 'commune') || ' communes'")"

	echo "== plain SQL on PostgreSQL (bench/drugfree_baseline_pg.sql, $sql_repeat runs)"
	# as on SQLite: the bench_* indexes are created (and timed) by the first run and dropped
	# again before the engine loads (a partitioned index takes its partitions' indexes along)
	drop_pg_bench_indexes() {
		pgq -c "DO \$\$DECLARE r record; BEGIN
			FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			         WHERE n.nspname = 'public' AND c.relkind IN ('i', 'I') AND c.relname LIKE 'bench\\_%'
			           AND NOT c.relispartition
			LOOP EXECUTE format('DROP INDEX %I', r.relname); END LOOP; END\$\$"
	}
	drop_pg_bench_indexes
	for i in $(seq 1 "$sql_repeat"); do
		psql -X -q -A -t -F, -v ON_ERROR_STOP=1 -v d="$date" -v root="$ou" -c '\timing on' \
			-f "$here/drugfree_baseline_pg.sql" "$url" >"$tmp/pg$i.out"
		# seconds per phase ("Time: 12.345 ms" after each statement)
		awk '/^phase,/ {split($0, f, ","); ph = f[2]} /^Time: / {t[ph] += $2}
			END {printf "%.6f %.6f %.6f\n", t["index"] / 1000, t["eval"] / 1000, t["output"] / 1000}' \
			"$tmp/pg$i.out" >"$tmp/pg$i.t"
	done
	read -r pg_index _ _ <"$tmp/pg1.t"
	read -r pg_min_ms pg_median_ms <<<"$(median_ms "$tmp"/pg*.t)"
	pg_total=$(grep '^total,' "$tmp/pg1.out" | cut -d, -f2)
	pg_free=$(grep '^total,' "$tmp/pg1.out" | cut -d, -f3)
	printf "%-48s %s\n" "extra indexes + ANALYZE (first run, one-off)" "$(awk -v s="$pg_index" 'BEGIN {printf "%.3f s", s}')"
	printf "%-48s %s\n" "evaluation + output, all $pg_total communes" "min $pg_min_ms ms, median $pg_median_ms ms"
	printf "%-48s %s\n" "drug-free communes" "$pg_free of $pg_total"

	# before the indexes go: the check's SQL runs would build them again
	echo "== agreement on PostgreSQL, commune by commune (bench/check_baseline.sh --pg)"
	"$here/check_baseline.sh" --pcmt "$pcmt" --db "$url" --orgunit "$ou" "$date"
	drop_pg_bench_indexes

	echo "== engine on PostgreSQL (pcmt-bench-eval, snapshot loaded from PostgreSQL)"
	"$build/bench/pcmt-bench-eval" --db "$url" --date "$date" --orgunit "$ou" --repeat "$repeat" \
		--baseline-ms "$pg_median_ms" | tee "$tmp/engine-pg.out"
	pg_eng_free=$(get "$tmp/engine-pg.out" drug_free)
	pg_eng_total=$(get "$tmp/engine-pg.out" communes)
	pg_eng_ms=$(get "$tmp/engine-pg.out" all1_median_ms)
	pg_eng0_ms=$(get "$tmp/engine-pg.out" all0_median_ms)
	pg_eng_load=$(get "$tmp/engine-pg.out" load_s)
fi

echo "== summary (load $(cut -d' ' -f1-3 /proc/loadavg))"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a / b}'; }
if [ "$pg" = 0 ]; then
	printf "%-48s %s\n" "engine, all communes, details=1 (median)" "$eng_ms ms   (target < 1000 ms)"
	printf "%-48s %s\n" "plain SQL on SQLite (median)" "$sql_median_ms ms"
	printf "%-48s %s\n" "ratio SQL / engine" "$(ratio "$sql_median_ms" "$eng_ms")   (target >= 20x)"
	printf "%-48s %s\n" "drug-free communes, engine / SQL" "$eng_free of $eng_total / $sql_free of $sql_total"
else
	printf "%-44s %-22s %-22s %s\n" "" "SQLite" "PostgreSQL" "target"
	row() { printf "%-44s %-22s %-22s %s\n" "$@"; }
	row "snapshot load (live_open)" "$(awk -v s="$eng_load" 'BEGIN {printf "%.2f s", s}')" \
		"$(awk -v s="$pg_eng_load" 'BEGIN {printf "%.2f s", s}')" ""
	row "engine, all communes, details=0 (median)" "$eng0_ms ms" "$pg_eng0_ms ms" "< 1000 ms"
	row "engine, all communes, details=1 (median)" "$eng_ms ms" "$pg_eng_ms ms" "< 1000 ms"
	row "plain SQL (median of $sql_repeat)" "$sql_median_ms ms" "$pg_median_ms ms" ""
	row "ratio SQL / engine, details=1" "$(ratio "$sql_median_ms" "$eng_ms")" "$(ratio "$pg_median_ms" "$pg_eng_ms")" ">= 20x"
	row "ratio SQL / engine, details=0" "$(ratio "$sql_median_ms" "$eng0_ms")" "$(ratio "$pg_median_ms" "$pg_eng0_ms")" ">= 20x"
	row "drug-free communes, engine" "$eng_free of $eng_total" "$pg_eng_free of $pg_eng_total" ""
	row "drug-free communes, SQL" "$sql_free of $sql_total" "$pg_free of $pg_total" ""
fi
if [ "$eng_free" != "$sql_free" ] || [ "$eng_total" != "$sql_total" ]; then
	echo "run.sh: the engine and the SQL baseline disagree on SQLite" >&2
	exit 1
fi
if [ "$pg" = 1 ] && { [ "$pg_eng_free" != "$pg_free" ] || [ "$pg_eng_total" != "$pg_total" ] ||
	[ "$pg_free" != "$sql_free" ] || [ "$pg_total" != "$sql_total" ]; }; then
	echo "run.sh: the engine and the SQL baselines disagree on PostgreSQL (or with SQLite)" >&2
	exit 1
fi
