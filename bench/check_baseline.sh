#!/usr/bin/env bash
# check_baseline.sh: the SQL baseline must give, commune by commune, what the engine gives
# (`pcmt eval drug-free --format csv`): drug-free, each criterion, the number of addicts and of
# addicts in the community. Fails on any difference, which it prints. A ratio against a baseline
# that answers another question would mean nothing. On SQLite the baseline is
# bench/drugfree_baseline_sqlite.sql (sqlite3 CLI), on PostgreSQL bench/drugfree_baseline_pg.sql
# (psql); the engine reads the same database through the same backend.
#
# usage: bench/check_baseline.sh [--pcmt BIN] [--pg] [--db FILE|URL] [--orgunit CODE] [DATE...]
#   --pcmt     the pcmt binary (default: build-bench/pcmt beside this directory)
#   --pg       PostgreSQL; without --db, a throwaway cluster (scripts/pg-test-cluster.sh) holding a
#              fresh `pcmt demo` province, stopped at the end
#   --db       an SQLite database, or a postgresql:// URL (implies --pg) (default: a fresh
#              `pcmt demo` province in a temporary directory or cluster)
#   --orgunit  root org unit code (default 40, Nghe An)
#   DATE       request dates (default 2024-06-30 2025-06-30 and today)
# Needs python3, and sqlite3 or psql. Exit status 0 when every date agrees, 1 otherwise. Both
# baselines add their bench_* indexes to the database they are given.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pcmt="$here/../build-bench/pcmt"
db=""
pg=0
ou=40
dates=()
while [ $# -gt 0 ]; do
	case "$1" in
	--pcmt) pcmt=$2; shift 2 ;;
	--db) db=$2; shift 2 ;;
	--pg) pg=1; shift ;;
	--orgunit) ou=$2; shift 2 ;;
	-h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "check_baseline: unknown option $1" >&2; exit 2 ;;
	*) dates+=("$1"); shift ;;
	esac
done
[ ${#dates[@]} -gt 0 ] || dates=(2024-06-30 2025-06-30 "$(date +%F)")
[ -x "$pcmt" ] || { echo "check_baseline: no pcmt binary at $pcmt (build first, or --pcmt)" >&2; exit 1; }

case "$db" in postgresql://* | postgres://*) pg=1 ;; esac
if [ "$pg" = 1 ]; then
	command -v psql >/dev/null || { echo "check_baseline: psql is needed for --pg" >&2; exit 1; }
else
	command -v sqlite3 >/dev/null || { echo "check_baseline: sqlite3 is needed" >&2; exit 1; }
fi

tmp=$(mktemp -d)
cluster=""
cleanup() {
	if [ -n "$cluster" ]; then "$here/../scripts/pg-test-cluster.sh" stop "$cluster" || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
if [ -z "$db" ] && [ "$pg" = 1 ]; then
	cluster=$("$here/../scripts/pg-test-cluster.sh" start)
	db="postgresql://pcmt@/pcmt_check?host=$cluster"
	"$pcmt" demo --db "$db" >/dev/null
elif [ -z "$db" ]; then
	db="$tmp/demo.db"
	"$pcmt" demo --db "$db" >/dev/null
fi

# baseline D: the SQL's CSV (phase rows, one row per commune, the total) on stdout
baseline() {
	if [ "$pg" = 1 ]; then
		psql -X -q -A -t -F, -v d="$1" -v root="$ou" -f "$here/drugfree_baseline_pg.sql" "$db"
	else
		{
			printf "CREATE TEMP TABLE bench_param (d TEXT NOT NULL, root_code TEXT NOT NULL);\n"
			printf "INSERT INTO bench_param VALUES ('%s', '%s');\n" "$1" "$ou"
			cat "$here/drugfree_baseline_sqlite.sql"
		} | sqlite3 -bail -csv "$db"
	fi
}

fail=0
for d in "${dates[@]}"; do
	"$pcmt" eval drug-free --db "$db" --orgunit "$ou" --date "$d" --format csv >"$tmp/engine.csv"
	baseline "$d" >"$tmp/sql.csv"
	# Both sides as "code,drug_free,c1,c2,c3,addicts,in_community", sorted by code.
	python3 - "$tmp/engine.csv" "$tmp/sql.csv" "$tmp/e.txt" "$tmp/s.txt" <<'EOF'
import csv, sys
eng, sql, eout, sout = sys.argv[1:5]
with open(eng, newline='') as f:
    rows = [[r['code'], r['drug_free'], r['criterion_1'], r['criterion_2'], r['criterion_3'],
             r['addicts'], r['addicts_in_community']] for r in csv.DictReader(f)]
with open(eout, 'w') as f:
    f.writelines(','.join(r) + '\n' for r in sorted(rows))
with open(sql, newline='') as f:
    rows = [r[1:] for r in csv.reader(f) if r and r[0] not in ('phase', 'total')]
with open(sout, 'w') as f:
    f.writelines(','.join(r) + '\n' for r in sorted(rows))
EOF
	n=$(wc -l <"$tmp/e.txt")
	free=$(awk -F, '$2 == 1' "$tmp/e.txt" | wc -l)
	total=$(grep '^total,' "$tmp/sql.csv" || true)
	if [ "$n" -eq 0 ]; then
		echo "check_baseline: $d: the engine returned no commune under $ou" >&2
		fail=1
	elif diff -u --label "engine $d" --label "sql $d" "$tmp/e.txt" "$tmp/s.txt" >"$tmp/diff"; then
		echo "$d: $n communes agree (engine $free drug-free; sql $total)"
	else
		echo "$d: DIFFERENT (fields: code,drug_free,c1,c2,c3,addicts,in_community)" >&2
		cat "$tmp/diff" >&2
		fail=1
	fi
done
exit $fail
