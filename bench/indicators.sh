#!/usr/bin/env bash
# indicators.sh: how long "every plan's indicators for one province" takes (issue 4: under 50 ms on
# the national data set). Starts `pcmt serve` on a database (by default a fresh demo province), asks
# GET /api/v1/indicators?plan=P&orgunit=O for every plan N times with curl and prints, per plan and for
# all plans together, the min and median wall time as curl sees it (HTTP on loopback included, the
# snapshot already loaded: what a user waits for). Also times the CLI, which loads the snapshot
# itself on each run. Figures are printed, never asserted.
#
# usage: bench/indicators.sh [--pcmt BIN] [--db FILE] [--orgunit CODE] [--repeat N] [--date D]
#   --pcmt     the pcmt binary (default: build-bench/pcmt, else build/pcmt, beside this directory)
#   --db       an SQLite database (default: `pcmt demo` in a temporary directory); one without
#              plans gets the seeds' plans first (`pcmt plans seed`)
#   --orgunit  the province asked about (default 40, Nghe An)
#   --repeat   rounds (default 20)
#   --date     the date asked about (default today)
# Needs curl.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pcmt=""
db=""
ou=40
n=20
date=""
while [ $# -gt 0 ]; do
	case "$1" in
	--pcmt) pcmt=$2; shift 2 ;;
	--db) db=$2; shift 2 ;;
	--orgunit) ou=$2; shift 2 ;;
	--repeat) n=$2; shift 2 ;;
	--date) date=$2; shift 2 ;;
	*) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
if [ -z "$pcmt" ]; then
	for b in "$here/../build-bench/pcmt" "$here/../build/pcmt"; do
		[ -x "$b" ] && { pcmt=$b; break; }
	done
fi
[ -x "${pcmt:-}" ] || { echo "indicators.sh: no pcmt binary (use --pcmt)" >&2; exit 2; }
command -v curl >/dev/null || { echo "indicators.sh: needs curl" >&2; exit 2; }
tmp=$(mktemp -d)
srv=""
cleanup() {
	if [ -n "$srv" ]; then
		kill "$srv" 2>/dev/null || true
		wait "$srv" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
if [ -z "$db" ]; then
	db="$tmp/demo.db"
	echo "building a demo province in $db ..."
	"$pcmt" demo --db "$db" >/dev/null
fi
q=""
[ -n "$date" ] && q="&date=$date"

mapfile -t plans < <("$pcmt" plans list --db "$db" --format csv | tail -n +2 | cut -d, -f1 | tr -d '"')
if [ "${#plans[@]}" -eq 0 ]; then # e.g. `pcmt demo --scale national`: add the seeds' plans
	"$pcmt" plans seed --db "$db"
	mapfile -t plans < <("$pcmt" plans list --db "$db" --format csv | tail -n +2 | cut -d, -f1 | tr -d '"')
fi
[ "${#plans[@]}" -gt 0 ] || { echo "indicators.sh: no plans in $db" >&2; exit 1; }

# the API needs a user (docs/security.md): an API-only admin "bench", made once per database
"$pcmt" user list --db "$db" | grep -q '^bench ' || "$pcmt" user add bench --role admin --api-only --db "$db" >/dev/null
printf 'header = "Authorization: Bearer %s"\n' "$("$pcmt" user token bench --expires 1 --db "$db")" >"$tmp/curlrc"
"$pcmt" serve --db "$db" --port 0 --port-file "$tmp/port" 2>"$tmp/serve.log" &
srv=$!
for _ in $(seq 300); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "indicators.sh: serve did not start: $(cat "$tmp/serve.log")" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$tmp/port")/api/v1"

ms() { # ms URL: curl's total time in milliseconds; fails on a non-200 answer
	local out
	out=$(curl -K "$tmp/curlrc" -sS -o /dev/null -w '%{http_code} %{time_total}' "$1")
	[ "${out%% *}" = 200 ] || { echo "indicators.sh: $1 answered ${out%% *}" >&2; exit 1; }
	awk -v t="${out#* }" 'BEGIN { printf "%.3f\n", t * 1000 }'
}

stats() { # stats: min and median of the numbers on stdin
	sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "min %8.2f ms  median %8.2f ms\n", v[1], m }'
}

urlenc() { printf '%s' "$1" | sed 's|/|%2F|g'; }

# warm up (first request of each plan), then the rounds
for p in "${plans[@]}"; do ms "$base/indicators?plan=$(urlenc "$p")&orgunit=$ou$q" >/dev/null; done
ms "$base/health" >/dev/null
: >"$tmp/all"
for p in "${plans[@]}"; do : >"$tmp/p.$(urlenc "$p")"; done
for _ in $(seq "$n"); do
	total=0
	for p in "${plans[@]}"; do
		t=$(ms "$base/indicators?plan=$(urlenc "$p")&orgunit=$ou$q")
		echo "$t" >>"$tmp/p.$(urlenc "$p")"
		total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
	done
	echo "$total" >>"$tmp/all"
done
for _ in $(seq "$n"); do ms "$base/health"; done >"$tmp/health"

echo "indicators of org unit $ou over HTTP, $n rounds ($(basename "$db"), pcmt $("$pcmt" --version | cut -d' ' -f2))"
for p in "${plans[@]}"; do
	printf '  %-20s %s\n' "$p" "$(stats <"$tmp/p.$(urlenc "$p")")"
done
printf '  %-20s %s   (target: under 50 ms)\n' "every plan" "$(stats <"$tmp/all")"
printf '  %-20s %s   (HTTP round trip alone)\n' "GET /health" "$(stats <"$tmp/health")"

# the CLI: a process that opens the database and loads the snapshot every time
: >"$tmp/cli"
for _ in $(seq "$((n < 5 ? n : 5))"); do
	s=$(date +%s%N)
	for p in "${plans[@]}"; do "$pcmt" indicators --db "$db" --plan "$p" --orgunit "$ou" ${date:+--date "$date"} --format json >/dev/null; done
	e=$(date +%s%N)
	awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }' >>"$tmp/cli"
done
printf '  %-20s %s   (CLI: a process per plan, snapshot loaded each time)\n' "every plan, CLI" "$(stats <"$tmp/cli")"
