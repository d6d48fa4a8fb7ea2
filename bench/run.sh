#!/usr/bin/env bash
# run.sh: the drug-free benchmark in one command (docs/performance.md). Builds pcmt in Release,
# makes (or reuses) the data set, times the plain-SQL baseline with the sqlite3 CLI and the engine
# with pcmt-bench-eval on the same database and date, and prints every figure, the ratio and both
# drug-free counts. Fails when the two disagree on any commune: a ratio between different answers
# would mean nothing.
#
# usage: bench/run.sh [--scale province|national] [--date YYYY-MM-DD] [--repeat N] [--sql-repeat N]
#   --scale       data set (default: national when `pcmt demo --help` offers it, else province)
#   --date        request date D (default: the data set's "today", $PCMT_BENCH_TODAY)
#   --repeat      engine repetitions per figure (default 20)
#   --sql-repeat  SQL baseline runs, each in a fresh sqlite3 process (default 5)
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
while [ $# -gt 0 ]; do
	case "$1" in
	--scale) scale=$2; shift 2 ;;
	--date) date=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--sql-repeat) sql_repeat=$2; shift 2 ;;
	-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
date=${date:-$today}
for tool in cmake sqlite3 python3 awk; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done

echo "== machine"
echo "cpus      $(nproc) ($(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
echo "memory    $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "kernel    $(uname -sr)"
echo "load      $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min: other work on the machine skews every figure)"
echo "sqlite3   $(sqlite3 --version | cut -d' ' -f1)"
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
	echo "built     $db in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f s", b - a}')"
fi
"$pcmt" migrate --db "$db" >/dev/null # seeds the rule table that both sides read
echo "size      $(du -h "$db" | cut -f1)"
echo "rows      $(sqlite3 "$db" "SELECT (SELECT count(*) FROM person) || ' persons, ' || (SELECT count(*) FROM drug_test) || ' tests, ' || (SELECT count(*) FROM treatment) || ' treatments, ' || (SELECT count(*) FROM org_unit WHERE kind = 'commune') || ' communes'")"

echo "== plain SQL on SQLite (bench/drugfree_baseline_sqlite.sql, $sql_repeat runs)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
sql_stats=$(cat "$tmp"/sql*.t | awk '{print ($2 + $3) * 1000}' | sort -g |
	awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f", v[1], m}')
read -r sql_min_ms sql_median_ms <<<"$sql_stats"
sql_total=$(grep '^total,' "$tmp/sql1.out" | cut -d, -f2)
sql_free=$(grep '^total,' "$tmp/sql1.out" | cut -d, -f3)
printf "%-48s %s\n" "extra indexes (first run, one-off)" "$(awk -v s="$sql_index" 'BEGIN {printf "%.3f s", s}')"
printf "%-48s %s\n" "evaluation + output, all $sql_total communes" "min $sql_min_ms ms, median $sql_median_ms ms"
printf "%-48s %s\n" "drug-free communes" "$sql_free of $sql_total"

drop_bench_indexes

echo "== engine (pcmt-bench-eval)"
"$build/bench/pcmt-bench-eval" --db "$db" --date "$date" --orgunit "$ou" --repeat "$repeat" \
	--baseline-ms "$sql_median_ms" | tee "$tmp/engine.out"
line=$(grep '^bench: ' "$tmp/engine.out")
get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" ${line#bench: }"; }
eng_free=$(get drug_free)
eng_total=$(get communes)
eng_ms=$(get all1_median_ms)

echo "== agreement, commune by commune (bench/check_baseline.sh)"
"$here/check_baseline.sh" --pcmt "$pcmt" --db "$db" --orgunit "$ou" "$date"

echo "== summary (load $(cut -d' ' -f1-3 /proc/loadavg))"
printf "%-48s %s\n" "engine, all communes, details=1 (median)" "$eng_ms ms   (target < 1000 ms)"
printf "%-48s %s\n" "plain SQL on SQLite (median)" "$sql_median_ms ms"
printf "%-48s %s\n" "ratio SQL / engine" "$(awk -v a="$sql_median_ms" -v b="$eng_ms" 'BEGIN {printf "%.1fx", a / b}')   (target >= 20x)"
printf "%-48s %s\n" "drug-free communes, engine / SQL" "$eng_free of $eng_total / $sql_free of $sql_total"
if [ "$eng_free" != "$sql_free" ] || [ "$eng_total" != "$sql_total" ]; then
	echo "run.sh: the engine and the SQL baseline disagree" >&2
	exit 1
fi
