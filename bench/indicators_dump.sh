#!/usr/bin/env bash
# indicators_dump.sh: writes the answer of GET /api/v1/indicators for every plan over a grid of org
# units, dates and periods into a directory, one file per request (sorted keys, pretty-printed), so
# that two builds can be compared with `diff -r`: a speed-up of the indicator engine must not change
# a single answer. Starts `pcmt serve` on the database; the snapshot loads once.
#
# usage: bench/indicators_dump.sh --pcmt BIN --db FILE --out DIR [--orgunits "40 VN ..."]
#                                 [--dates "2025-12-31 ..."] [--periods "- plan 2025 ..."]
#   --orgunits  org-unit codes; "-" asks without orgunit (each target's scope). Default: - 40 VN 38 412 16663
#   --dates     default: 2022-06-30 2023-06-15 2024-12-31 2025-12-31 2026-07-15
#   --periods   "-" asks without period (each target's own). Default: - plan 2025 2025-Q2 2022-03
# Needs curl and jq.
set -euo pipefail

pcmt="" db="" out=""
ous="- 40 VN 38 412 16663"
dates="2022-06-30 2023-06-15 2024-12-31 2025-12-31 2026-07-15"
periods="- plan 2025 2025-Q2 2022-03"
while [ $# -gt 0 ]; do
	case "$1" in
	--pcmt) pcmt=$2; shift 2 ;;
	--db) db=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--orgunits) ous=$2; shift 2 ;;
	--dates) dates=$2; shift 2 ;;
	--periods) periods=$2; shift 2 ;;
	*) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
[ -x "$pcmt" ] && [ -f "$db" ] && [ -n "$out" ] || { echo "indicators_dump.sh: --pcmt, --db and --out are required" >&2; exit 2; }
mkdir -p "$out"
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

mapfile -t plans < <("$pcmt" plans list --db "$db" --format csv | tail -n +2 | cut -d, -f1 | tr -d '"')
# the API needs a user (docs/security.md): an API-only admin "bench", made once per database (a
# build without users, such as main before it had them, has no `pcmt user` and needs none)
curlrc=/dev/null
if "$pcmt" user list --db "$db" >"$tmp/users" 2>/dev/null; then
	grep -q '^bench ' "$tmp/users" || "$pcmt" user add bench --role admin --api-only --db "$db" >/dev/null
	printf 'header = "Authorization: Bearer %s"\n' "$("$pcmt" user token bench --expires 1 --db "$db")" >"$tmp/curlrc"
	curlrc=$tmp/curlrc
fi
"$pcmt" serve --db "$db" --port 0 --port-file "$tmp/port" 2>"$tmp/serve.log" &
srv=$!
for _ in $(seq 1200); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "indicators_dump.sh: serve did not start: $(cat "$tmp/serve.log")" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$tmp/port")/api/v1"

n=0
for p in "${plans[@]}"; do
	pe=$(printf '%s' "$p" | sed 's|/|%2F|g')
	for ou in $ous; do
		for d in $dates; do
			for per in $periods; do
				q="plan=$pe&date=$d"
				[ "$ou" != - ] && q="$q&orgunit=$ou"
				[ "$per" != - ] && q="$q&period=$per"
				f="$out/$(printf '%s' "$p" | tr '/' '_')_${ou}_${d}_${per}.json"
				code=$(curl -K "$curlrc" -sS -o "$tmp/body" -w '%{http_code}' "$base/indicators?$q")
				{ echo "HTTP $code"; jq -S . "$tmp/body"; } >"$f"
				n=$((n + 1))
			done
		done
	done
done
echo "indicators_dump.sh: $n answers in $out"
