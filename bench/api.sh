#!/usr/bin/env bash
# api.sh: API throughput and latency with wrk on loopback (issue 10; docs/performance.md, "API
# throughput"). Copies a database (the source is never written), gives it an API-only admin and a
# bearer token, times the same questions as plain SQL with the sqlite3 CLI (or psql), then starts
# `pcmt serve` and runs wrk (bench/wrk/pcmt.lua) for each load: person by id, search by name, a
# commune's persons, a commune's drug-free evaluation, indicator values, writes, and a mixed
# read/write load. Prints each figure next to its target, the ratio to the SQL baseline where one
# exists, the load average at the time, and the peak resident set (VmHWM) of `pcmt serve`.
# Figures are printed, never asserted; a load that got any non-2xx answer is flagged.
#
# usage: bench/api.sh [--db FILE] [--pcmt BIN] [--duration S] [--conns N] [--wrk-threads N]
#                     [--serve-threads N] [--only "MODE..."] [--pg] [--pg-url URL] [--no-sqlite]
#   --db             an SQLite database (default: a fresh demo province); national:
#                    --db /tmp/natind.db (`pcmt demo --scale national`). Copied to a work dir first
#   --pcmt           the pcmt binary (default build-bench/pcmt, else build/pcmt)
#   --duration       seconds of wrk per load (default 15)
#   --conns          wrk connections (default 32)
#   --wrk-threads    wrk threads (default 2)
#   --serve-threads  pcmt serve --threads (default: serve's own, 2 x CPUs)
#   --only           a subset of: person search commune drugfree indicators write write-person mixed
#   --pg             the same loads on PostgreSQL too: a throwaway cluster loaded by `pcmt copy`
#                    from the copy (34 minutes for the national set: use a province for a quick run)
#   --pg-url URL     instead, a PostgreSQL database loaded beforehand from the same --db (pcmt copy
#                    --from sqlite:FILE --to URL, with PCMT_KEY_FILE=FILE.key); the `bench` user is
#                    added there if missing. Implies --pg. Writes of the loads stay in that database
#   --no-sqlite      skip the wrk loads on SQLite (the SQL baselines still run: they are quick)
# Environment: PCMT_BENCH_WORK (work dir for the copy; default bench/data), TMPDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
pcmt=""
db=""
dur=15
conns=32
wthreads=2
sthreads=""
only="person search commune drugfree indicators write write-person mixed"
pg=0
pg_url=""
sqlite_loads=1
while [ $# -gt 0 ]; do
	case "$1" in
	--db) db=$2; shift 2 ;;
	--pcmt) pcmt=$2; shift 2 ;;
	--duration) dur=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--wrk-threads) wthreads=$2; shift 2 ;;
	--serve-threads) sthreads=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--pg) pg=1; shift ;;
	--pg-url) pg=1; pg_url=$2; shift 2 ;;
	--no-sqlite) sqlite_loads=0; shift ;;
	-h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "api.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
if [ -z "$pcmt" ]; then
	for b in "$src/build-bench/pcmt" "$src/build/pcmt"; do
		[ -x "$b" ] && { pcmt=$b; break; }
	done
fi
[ -x "${pcmt:-}" ] || { echo "api.sh: no pcmt binary (use --pcmt)" >&2; exit 2; }
for tool in wrk sqlite3 awk; do
	command -v "$tool" >/dev/null || { echo "api.sh: $tool is needed (scripts/apt-packages.txt)" >&2; exit 2; }
done
[ "$pg" = 0 ] || command -v psql >/dev/null || { echo "api.sh: psql is needed for --pg" >&2; exit 2; }

work=${PCMT_BENCH_WORK:-$here/data}
mkdir -p "$work"
tmp=$(mktemp -d)
srv=""
cluster=""
cleanup() {
	if [ -n "$srv" ]; then kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; fi
	if [ -n "$cluster" ]; then "$src/scripts/pg-test-cluster.sh" stop "$cluster" || true; fi
	rm -f "$work/api-work.db" "$work/api-work.db-wal" "$work/api-work.db-shm" "$work/api-work.db.key"
	rm -rf "$tmp"
}
trap cleanup EXIT

load() { cut -d' ' -f1 /proc/loadavg; }
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }

echo "== machine"
echo "cpus      $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
echo "memory    $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "kernel    $(uname -r); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
echo "commit    $(git -C "$src" rev-parse --short HEAD)$(git -C "$src" diff --quiet HEAD -- src || echo -dirty)"
echo "load      $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
echo "wrk       -t$wthreads -c$conns -d${dur}s per load, after a 2 s warm-up"

echo "== data"
w="$work/api-work.db"
if [ -z "$db" ]; then
	echo "building a demo province ..."
	"$pcmt" demo --db "$tmp/demo.db" >/dev/null
	db="$tmp/demo.db"
fi
t0=$(date +%s.%N)
cp --reflink=auto "$db" "$w"
rm -f "$w-wal" "$w-shm"
if [ -s "$db-wal" ]; then cp "$db-wal" "$w-wal"; fi # not yet checkpointed
echo "copy      $db -> $w ($(du -h "$w" | cut -f1), $(secs "$t0") s)"
# identities are sealed (docs/security.md): the copy needs the source's key, and PostgreSQL (which
# has no file beside it) finds it through PCMT_KEY_FILE, as does every pcmt command below
rm -f "$w.key"
if [ -f "$db.key" ]; then cp "$db.key" "$w.key"; chmod 600 "$w.key"; fi
export PCMT_KEY_FILE=$w.key
"$pcmt" migrate --db "$w" >/dev/null
"$pcmt" user add bench --role admin --api-only --db "$w" >/dev/null
token=$("$pcmt" user token bench --expires 1 --db "$w")
sq() { sqlite3 -batch -noheader "$w" "$@"; }
echo "rows      $(sq "SELECT (SELECT count(*) FROM person) || ' persons, ' || (SELECT count(*) FROM org_unit WHERE kind = 'commune') || ' communes'")"

# what each load asks for: random persons, names, communes with residents, plans x provinces
sq "SELECT id FROM person ORDER BY random() LIMIT 20000" >"$tmp/ids"
# names are sealed in the database (name_fold is a blind index): the names to search for are read
# through the API once the first server is up (names_fetch); the baseline's search asks what the
# store asks for a three-word name, each word matched through its token's blind index
# (person_token.h): three random tokens of each of 50 random persons
sq "SELECT id FROM person ORDER BY random() LIMIT 500" >"$tmp/name_ids"
: >"$tmp/names"
sq "SELECT residence_ou FROM person ORDER BY random() LIMIT 500" | sort -u >"$tmp/communes"
# the drug-free evaluation of today: communes that exist today (persons still living in a commune
# the 2025 reform closed are answered 422 for today, rightly)
sq "SELECT o.code FROM org_unit o WHERE o.id IN ($(paste -sd, "$tmp/communes")) AND o.valid_to IS NULL" >"$tmp/commune_codes"
sq "SELECT p.code || char(9) || o.code FROM plan p, org_unit o WHERE o.kind = 'province'
    AND o.valid_to IS NULL ORDER BY random() LIMIT 200" >"$tmp/plans" 2>/dev/null || : >"$tmp/plans"
# new persons live in a commune that exists today, as an officer would record them
ou_write=$(sq "SELECT id FROM org_unit WHERE id IN ($(paste -sd, "$tmp/communes")) AND valid_to IS NULL LIMIT 1")

# ---- plain SQL with the sqlite3 CLI: the same questions, one process, no HTTP -----------------
# rate FILE N: runs the statements in FILE in one sqlite3 process, prints statements per second
rate() {
	local t0 s
	t0=$(date +%s.%N)
	sqlite3 -batch "$w" <"$1" >/dev/null
	s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
	awk -v n="$2" -v s="$s" 'BEGIN {printf "%.1f", n / s}'
}
declare -A base
echo "== plain SQL baseline (sqlite3 CLI, one process, statements from a file; load $(load))"
n=20000
awk '{print "SELECT * FROM person WHERE id = " $1 ";"}' "$tmp/ids" >"$tmp/q.person"
base[person]=$(rate "$tmp/q.person" $n)
echo "person by id           ${base[person]} /s  (SELECT * FROM person WHERE id = ?)"
sq "SELECT person_id, group_concat(h, ' ') FROM (SELECT person_id, h FROM person_token
    WHERE person_id IN ($(head -50 "$tmp/name_ids" | paste -sd,)) ORDER BY random()) GROUP BY person_id" |
	awk -F'|' '{ n = split($2, h, " "); w = ""; for (i = 1; i <= n && i <= 3; i++)
		w = w " AND t.id IN (SELECT k.person_id FROM person_token k WHERE k.h = " h[i] ")";
		print "SELECT count(*) FROM person t WHERE 1 = 1" w "; SELECT * FROM person t WHERE 1 = 1" w " ORDER BY t.id LIMIT 20;" }' >"$tmp/q.search"
nsearch=$(wc -l <"$tmp/q.search")
base[search]=$(rate "$tmp/q.search" "$nsearch")
echo "search by name         ${base[search]} /s  (count and first 20 of three words through person_token's blind indexes, as the store asks)"
awk '{print "SELECT count(*) FROM person t WHERE t.residence_ou = " $1 "; SELECT * FROM person t WHERE t.residence_ou = " $1 " ORDER BY t.id LIMIT 50;"}' "$tmp/communes" >"$tmp/q.commune"
base[commune]=$(rate "$tmp/q.commune" "$(wc -l <"$tmp/communes")")
echo "a commune's persons    ${base[commune]} /s  (count and residence_ou = ? ORDER BY id LIMIT 50)"
# the writes: person inserts (write-person), and the write load's mix in the same proportions (drug
# tests, treatments, classifications, support, persons: bench/wrk/pcmt.lua), for persons of $tmp/ids;
# what they add is deleted afterwards (ids above the largest before)
write_tables="person drug_test treatment classification support"
declare -A top
for t in $write_tables; do top[$t]=$(sq "SELECT coalesce(max(id), 0) FROM $t"); done
# awk: q is a single quote; ids are the persons written for
cat >"$tmp/writes.awk" <<'AWK'
function person(i) {
	return sprintf("INSERT INTO person (full_name, sex, dob, residence_ou, name_fold, created_at, updated_at) " \
		"VALUES (%sBench Sql %d%s, %smale%s, %s1990-01-01%s, %d, %sbench sql %d%s, %s, %s);", q, i, q, q, q, q, q, ou, q, i, q, d, d)
}
BEGIN { srand(7); d = q "2025-06-15" q }
mix == 0 { print person(NR); next }
{
	r = rand() * 36.66
	if (r < 31.2) printf "INSERT INTO drug_test (person_id, test_date, kind, result, created_at, updated_at) VALUES (%d, %s, %speriodic%s, %snegative%s, %s, %s);\n", $1, d, q, q, q, q, d, d
	else if (r < 34.3) printf "INSERT INTO treatment (person_id, kind, start_date, outcome, created_at, updated_at) VALUES (%d, %svoluntary_community%s, %s, %songoing%s, %s, %s);\n", $1, q, q, d, q, q, d, d
	else if (r < 35.3) printf "INSERT INTO classification (person_id, kind, date_from, created_at, updated_at) VALUES (%d, %saddict%s, %s, %s, %s);\n", $1, q, q, d, d, d
	else if (r < 35.66) printf "INSERT INTO support (person_id, kind, support_date, created_at, updated_at) VALUES (%d, %scounselling%s, %s, %s, %s);\n", $1, q, q, d, d, d
	else print person(NR)
}
AWK
head -5000 "$tmp/ids" | awk -v q="'" -v ou="$ou_write" -v mix=0 -f "$tmp/writes.awk" >"$tmp/q.write-person"
head -5000 "$tmp/ids" | awk -v q="'" -v ou="$ou_write" -v mix=1 -f "$tmp/writes.awk" >"$tmp/q.write"
nwrite=$(wc -l <"$tmp/q.write")
wal="PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;"
base[write]=$(rate <(echo "$wal"; cat "$tmp/q.write") "$nwrite")
base[write-person]=$(rate <(echo "$wal"; cat "$tmp/q.write-person") "$(wc -l <"$tmp/q.write-person")")
for t in $write_tables; do sq "DELETE FROM $t WHERE id > ${top[$t]}"; done
echo "write mix              ${base[write]} /s  (autocommit INSERTs in the write load's proportions, WAL, synchronous=NORMAL, with the change-log triggers)"
echo "insert a person        ${base[write-person]} /s  (autocommit INSERT, the same)"

# ---- pcmt serve + wrk ---------------------------------------------------------------------------
declare -A res
# run_loads NAME URL_BASE: every load in $only against the server on $base_url
run_loads() {
	local backend=$1 url=$2 m list
	for m in $only; do
		case $m in
		person | mixed) list=$tmp/ids ;;
		search) list=$tmp/names ;;
		commune) list=$tmp/communes ;;
		drugfree) list=$tmp/commune_codes ;;
		indicators) list=$tmp/plans ;;
		write | write-person) list=$tmp/ids ;;
		*) echo "api.sh: unknown load $m" >&2; exit 2 ;;
		esac
		if [ ! -s "$list" ]; then
			echo "$m: nothing to ask for (no plans in this database?), skipped"
			continue
		fi
		export PCMT_WRK_MODE=$m PCMT_TOKEN=$token PCMT_WRK_LIST=$list PCMT_WRK_OU=$ou_write
		wrk -t"$wthreads" -c"$conns" -d2s -s "$here/wrk/pcmt.lua" "$url" >/dev/null 2>&1 || true
		local l
		l=$(load)
		wrk -t"$wthreads" -c"$conns" -d"${dur}s" --timeout 10s --latency -s "$here/wrk/pcmt.lua" "$url" >"$tmp/wrk.$backend.$m" 2>&1 ||
			{ cat "$tmp/wrk.$backend.$m" >&2; echo "api.sh: wrk failed on $m" >&2; exit 1; }
		res[$backend.$m]="$(grep '^RESULT' "$tmp/wrk.$backend.$m" | cut -d' ' -f3-) $l"
		echo "$backend $m: $(grep -E 'Requests/sec|Non-2xx' "$tmp/wrk.$backend.$m" | tr -s ' ' | tr '\n' ' ')(load $l)"
	done
}

# serve_start URL: starts pcmt serve on URL, waits for its port, prints the start time
serve_start() {
	local t0
	t0=$(date +%s.%N)
	rm -f "$tmp/port"
	"$pcmt" serve --db "$1" --port 0 --port-file "$tmp/port" ${sthreads:+--threads "$sthreads"} 2>"$tmp/serve.log" &
	srv=$!
	for _ in $(seq 3000); do [ -s "$tmp/port" ] && break; kill -0 "$srv" 2>/dev/null || break; sleep 0.1; done
	[ -s "$tmp/port" ] || { echo "api.sh: serve did not start: $(cat "$tmp/serve.log")" >&2; exit 1; }
	echo "serve     pid $srv, listening after $(secs "$t0") s ($(grep VmRSS /proc/$srv/status | tr -s ' '))"
	base_url="http://127.0.0.1:$(cat "$tmp/port")"
	[ -s "$tmp/names" ] || names_fetch
}
# names_fetch: the full names of the persons in name_ids, read through the API (they are sealed in
# the database), one search string a line
names_fetch() {
	sed "s|^|$base_url/api/v1/persons/|" "$tmp/name_ids" |
		xargs curl -sS -H "Authorization: Bearer $token" |
		jq -r 'select(.full_name != null) | .full_name' >"$tmp/names"
	echo "names     $(wc -l <"$tmp/names") full names to search for, e.g. $(head -1 "$tmp/names")"
}
serve_stop() {
	hwm[$1]=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' /proc/$srv/status)
	fds[$1]=$(ls /proc/$srv/fd | wc -l)
	kill "$srv"; wait "$srv" 2>/dev/null || true
	srv=""
	# SQLite's group commit: how many writes shared a transaction (printed when serve stops)
	grep -h 'group commit' "$tmp/serve.log" | sed 's/^pcmt serve: /serve     /' || true
}
declare -A hwm fds

if [ "$sqlite_loads" = 1 ]; then
	echo "== pcmt serve on SQLite"
	serve_start "$w"
	run_loads sqlite "$base_url"
	serve_stop sqlite
fi

if [ "$pg" = 1 ]; then
	pgq() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$url" "$@"; }
	if [ -n "$pg_url" ]; then
		echo "== PostgreSQL: $pg_url, loaded beforehand"
		url=$pg_url
		pgq -c "SELECT 1 FROM app_user WHERE username = 'bench'" | grep -q 1 ||
			"$pcmt" user add bench --role admin --api-only --db "$url" >/dev/null
	else
		echo "== PostgreSQL: a throwaway cluster loaded by pcmt copy"
		cluster=$("$src/scripts/pg-test-cluster.sh" start)
		psql -X -q -v ON_ERROR_STOP=1 "$(cat "$cluster/url")" -c 'CREATE DATABASE pcmt_bench'
		url="postgresql://pcmt@/pcmt_bench?host=$cluster"
		t0=$(date +%s.%N)
		"$pcmt" copy --from "sqlite:$w" --to "$url" >"$tmp/copy.out" ||
			{ cat "$tmp/copy.out" >&2; echo "api.sh: pcmt copy failed" >&2; exit 1; }
		pgq -c 'VACUUM (ANALYZE)'
		echo "loaded    in $(secs "$t0") s (pcmt copy + VACUUM ANALYZE)"
	fi
	echo "server    PostgreSQL $(pgq -c 'SHOW server_version'), shared_buffers $(pgq -c 'SHOW shared_buffers'), fsync $(pgq -c 'SHOW fsync'), synchronous_commit $(pgq -c 'SHOW synchronous_commit')"
	token=$("$pcmt" user token bench --expires 1 --db "$url")
	prate() { # prate FILE N: statements per second through one psql session
		local t0 s
		t0=$(date +%s.%N)
		psql -X -q -v ON_ERROR_STOP=1 "$url" <"$1" >/dev/null
		s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
		awk -v n="$2" -v s="$s" 'BEGIN {printf "%.1f", n / s}'
	}
	echo "== plain SQL baseline (psql, one session; load $(load))"
	base[pg.person]=$(prate "$tmp/q.person" $n)
	echo "person by id           ${base[pg.person]} /s"
	base[pg.search]=$(prate "$tmp/q.search" "$nsearch")
	echo "search by name         ${base[pg.search]} /s"
	base[pg.commune]=$(prate "$tmp/q.commune" "$(wc -l <"$tmp/communes")")
	echo "a commune's persons    ${base[pg.commune]} /s"
	for t in $write_tables; do top[$t]=$(pgq -c "SELECT coalesce(max(id), 0) FROM $t"); done
	base[pg.write]=$(prate "$tmp/q.write" "$nwrite")
	base[pg.write-person]=$(prate "$tmp/q.write-person" "$(wc -l <"$tmp/q.write-person")")
	for t in $write_tables; do pgq -c "DELETE FROM $t WHERE id > ${top[$t]}"; done
	echo "write mix              ${base[pg.write]} /s  (autocommit INSERTs, with the change-log and province triggers)"
	echo "insert a person        ${base[pg.write-person]} /s"
	echo "== pcmt serve on PostgreSQL"
	serve_start "$url"
	run_loads pg "$base_url"
	serve_stop pg
fi

# ---- summary ------------------------------------------------------------------------------------
echo
echo "== summary ($(basename "$db"); load $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
printf '%-8s %-11s %10s %9s %9s %6s  %-22s %10s %7s %5s\n' backend load req/s p50_ms p99_ms non2xx target "SQL /s" ratio loadavg
target() {
	case $1 in
	person) echo ">=20000/s, p99<10ms" ;;
	write) echo ">=5000/s (SQLite)" ;;
	write-person) echo "- (in write's mix)" ;;
	*) echo "-" ;;
	esac
}
for b in sqlite pg; do
	for m in $only; do
		r=${res[$b.$m]:-}
		[ -n "$r" ] || continue
		read -r rps p50 p99 bad sockerr l <<<"$r"
		k=$m
		[ "$b" = pg ] && k=pg.$m
		bs=${base[$k]:-}
		ratio="-"
		[ -n "$bs" ] && ratio=$(awk -v a="$rps" -v b="$bs" 'BEGIN {printf "%.2fx", a / b}')
		flag=""
		[ "$bad" = 0 ] && [ "$sockerr" = 0 ] || flag="  <- $bad non-2xx, $sockerr socket errors"
		case $m in
		person) awk -v r="$rps" -v p="$p99" 'BEGIN {exit !(r >= 20000 && p < 10)}' || flag="$flag  (target missed)" ;;
		write) [ "$b" = sqlite ] && { awk -v r="$rps" 'BEGIN {exit !(r >= 5000)}' || flag="$flag  (target missed)"; } ;;
		esac
		printf '%-8s %-11s %10s %9s %9s %6s  %-22s %10s %7s %5s%s\n' "$b" "$m" "$rps" "$p50" "$p99" "$bad" \
			"$(target "$m")" "${bs:--}" "$ratio" "$l" "$flag"
	done
done
for b in sqlite pg; do
	[ -n "${hwm[$b]:-}" ] || continue
	flag=""
	awk -v m="${hwm[$b]}" 'BEGIN {exit !(m < 1024)}' || flag="  (target missed)"
	printf '%-8s peak RSS of pcmt serve (VmHWM) %s MiB, target < 1024 MiB%s; %s fds open at the end\n' \
		"$b" "${hwm[$b]}" "$flag" "${fds[$b]}"
done
echo "ratio = pcmt over HTTP / the same question as plain SQL in one sqlite3 (psql) process; the SQL"
echo "side has no HTTP, no JSON, no authentication, no audit and runs one statement at a time."
