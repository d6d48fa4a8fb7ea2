#!/usr/bin/env bash
# ost.sh: the substitution clinic's benchmark (issue 11): the day's queue and recording a dose at a
# 500-patient clinic on the national data set. Copies the national database once (the source is
# never written), lets pcmt-bench-ost add the clinic to the copy and time the engine there and on a
# fresh database holding only the clinic (the baseline of the ratios), then starts `pcmt serve` on the
# copy and times what a counter waits for over HTTP with curl: GET /api/v1/mat/queue and POST
# /api/v1/doses, as a health worker of the clinic's district. Figures are printed, never asserted.
# In process it runs unscoped and scoped to the district (the health worker's scope) and prints CPU
# time beside wall time (the machine is shared: CPU is what the work cost). With --base-pcmt (another
# build, e.g. main's before a change) the scoped runs and the HTTP queue are timed with it too, in the
# same run, interleaved, for a before/after on the same copy and load.
# A heavy job: run it under `flock /work/wt/heavy.lock` on a shared machine.
#
# usage: bench/ost.sh [--pcmt BIN] [--bench BIN] [--base-pcmt BIN] [--src DB] [--dir DIR]
#                     [--district CODE] [--rounds N] [--doses N]
#   --pcmt      pcmt (default: build-bench/pcmt, else build/pcmt)
#   --bench     pcmt-bench-ost (default: beside --pcmt, in bench/)
#   --base-pcmt the build to compare with (its pcmt-bench-ost beside it, in bench/)
#   --src       the national SQLite database to copy (default /tmp/natind.db)
#   --dir       where the copy lives and is reused (default $PCMT_BENCH_DIR or bench/data)
#   --district  the clinic's district (default 417)
#   --rounds    queue rounds (default 20)
#   --doses     doses recorded (default 100 in process, 50 over HTTP)
# Needs curl and python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pcmt=""
bench=""
base=""
src=/tmp/natind.db
dir=${PCMT_BENCH_DIR:-$here/data}
district=417
rounds=20
doses=100
while [ $# -gt 0 ]; do
	case "$1" in
	--pcmt) pcmt=$2; shift 2 ;;
	--bench) bench=$2; shift 2 ;;
	--base-pcmt) base=$2; shift 2 ;;
	--src) src=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	--district) district=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--doses) doses=$2; shift 2 ;;
	*) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
if [ -z "$pcmt" ]; then
	for b in "$here/../build-bench/pcmt" "$here/../build/pcmt"; do
		[ -x "$b" ] && { pcmt=$b; break; }
	done
fi
[ -x "${pcmt:-}" ] || { echo "ost.sh: no pcmt binary (use --pcmt)" >&2; exit 2; }
[ -n "$bench" ] || bench=$(dirname "$pcmt")/bench/pcmt-bench-ost
[ -x "$bench" ] || { echo "ost.sh: no pcmt-bench-ost (use --bench)" >&2; exit 2; }
command -v curl >/dev/null && command -v python3 >/dev/null || { echo "ost.sh: needs curl and python3" >&2; exit 2; }
mkdir -p "$dir"
db="$dir/natost.db"
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

echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -s "$db" ]; then
	[ -s "$src" ] || { echo "ost.sh: no national database at $src (pcmt demo --scale national)" >&2; exit 2; }
	echo "copying $src to $db ..."
	t0=$(date +%s.%N)
	cp "$src" "$db"
	echo "copied in $(echo "$(date +%s.%N) - $t0" | bc) s"
fi
# identities are sealed: the copy's key file goes with it, and the fresh baseline databases use it too
if [ -s "$src.key" ] && [ ! -s "$db.key" ]; then
	cp "$src.key" "$db.key"
	chmod 600 "$db.key"
fi
export PCMT_KEY_FILE="$db.key"
echo "persons in the copy: $(sqlite3 "$db" 'SELECT count(*) FROM person' 2>/dev/null || echo '?')"

echo "--- in process (engine/ost.c, no HTTP), load $(cut -d' ' -f1-3 /proc/loadavg) ---"
"$bench" --db "$db" --district "$district" --rounds "$rounds" --doses "$doses" --fresh-dir "$tmp" | tee "$tmp/bench.out"
for round in 1 2; do
	if [ -n "$base" ]; then
		echo "scoped to the district, base build ($base), load $(cut -d' ' -f1-3 /proc/loadavg):"
		"$(dirname "$base")/bench/pcmt-bench-ost" --db "$db" --district "$district" --rounds "$rounds" --doses 0 \
			--scoped --fresh-dir "$tmp" | grep -E 'queue of|ratio'
	fi
	echo "scoped to the district, this build, load $(cut -d' ' -f1-3 /proc/loadavg):"
	"$bench" --db "$db" --district "$district" --rounds "$rounds" --doses 0 --scoped --fresh-dir "$tmp" |
		grep -E 'queue of|ratio'
done
fac=$(sqlite3 "$db" "SELECT id FROM facility WHERE kind = 'ost_point' AND name = 'Cơ sở điều trị Methadone (benchmark)' ORDER BY id DESC LIMIT 1")

echo "--- over HTTP (pcmt serve, curl on loopback, a health worker of district $district) ---"
"$pcmt" user add bench_health_$$ --role health --orgunit "$district" --api-only --db "$db" >/dev/null
token=$("$pcmt" user token bench_health_$$ --db "$db" | tail -1 | awk '{print $NF}')
auth="Authorization: Bearer $token"
serve() { # serve BIN: pcmt serve on the copy, $url its API
	rm -f "$tmp/port"
	"$1" serve --db "$db" --port 0 --port-file "$tmp/port" 2>"$tmp/serve.log" &
	srv=$!
	for _ in $(seq 3000); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	[ -s "$tmp/port" ] || { echo "ost.sh: serve did not start: $(cat "$tmp/serve.log")" >&2; exit 1; }
	url="http://127.0.0.1:$(cat "$tmp/port")/api/v1"
}
unserve() {
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	srv=""
}
queue_times() { # queue_times OUT: the queue's time over HTTP, $rounds times
	for i in $(seq "$rounds"); do
		curl -s -o /dev/null -w '%{time_total}\n' -H "$auth" "$url/mat/queue?facility=$fac"
	done >"$1"
}
median() { sort -n "$1" | awk '{v[NR] = $1 * 1000} END {printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
if [ -n "$base" ]; then
	for round in 1 2; do
		serve "$base"
		curl -sf -o /dev/null -H "$auth" "$url/mat/queue?facility=$fac"
		queue_times "$tmp/tqb$round"
		unserve
		serve "$pcmt"
		curl -sf -o /dev/null -H "$auth" "$url/mat/queue?facility=$fac"
		queue_times "$tmp/tqn$round"
		unserve
		echo "GET /api/v1/mat/queue round $round: base build median $(median "$tmp/tqb$round") ms, this build median" \
			"$(median "$tmp/tqn$round") ms (load $(cut -d' ' -f1-3 /proc/loadavg))"
	done
fi
serve "$pcmt"
base="$url"
curl -sf -H "$auth" "$base/mat/queue?facility=$fac" >"$tmp/queue.json"
queue_times "$tmp/tq"
curl -s -o /dev/null -w '%{time_total}\n' -H "$auth" "$base/health" >/dev/null
for i in $(seq "$rounds"); do
	curl -s -o /dev/null -w '%{time_total}\n' -H "$auth" "$base/health"
done >"$tmp/th"
python3 - "$tmp/queue.json" >"$tmp/waiting" <<'EOF'
import json, sys
q = json.load(open(sys.argv[1]))
for p in q["patients"]:
    if p["dosed"] is None:
        print(p["person_id"])
EOF
n=0
: >"$tmp/td"
while read -r pid && [ "$n" -lt 50 ]; do
	curl -s -o "$tmp/dose.json" -w '%{http_code} %{time_total}\n' -H "$auth" -H 'Content-Type: application/json' \
		-X POST -d "{\"person_id\": $pid}" "$base/doses" >>"$tmp/td"
	n=$((n + 1))
done <"$tmp/waiting"
python3 - "$tmp/tq" "$tmp/th" "$tmp/td" "$tmp/queue.json" <<'EOF'
import json, statistics, sys
def ms(path, col=0):
    v = [float(l.split()[col]) * 1000 for l in open(path) if l.strip()]
    v.sort()
    return v
tq, th = ms(sys.argv[1]), ms(sys.argv[2])
rows = [l.split() for l in open(sys.argv[3]) if l.strip()]
ok = [float(t) * 1000 for c, t in rows if c == "201"]
ok.sort()
q = json.load(open(sys.argv[4]))
p95 = lambda v: v[int((len(v) - 1) * 0.95)]
print(f"GET /api/v1/mat/queue ({q['summary']['due']} due, {len(json.dumps(q)) // 1024} KiB): min {tq[0]:.1f} ms, "
      f"median {statistics.median(tq):.1f} ms, p95 {p95(tq):.1f} ms ({len(tq)} rounds)")
print(f"POST /api/v1/doses: {len(ok)} of {len(rows)} answered 201; min {ok[0]:.1f} ms, median {statistics.median(ok):.1f} ms, "
      f"p95 {p95(ok):.1f} ms")
print(f"GET /api/v1/health (HTTP alone): median {statistics.median(th):.2f} ms")
EOF
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
