#!/usr/bin/env bash
# test_classification.sh: `pcmt eval classification` on a hand-built province written through a
# `pcmt serve` started here (table, CSV and JSON, the same answer as the API, a write seen at once,
# exit codes 0/1/2 with one-line errors), then the demo: its operations registry, the Decision 28
# types it yields (type I communes in Ky Son, Tuong Duong and Que Phong) and the operations
# indicators of the seeds' plans with values.
set -uo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
tmp=$(mktemp -d)
srv=""
cleanup() {
	if [ -n "$srv" ]; then
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
export PCMT_TODAY=2025-06-15
fails=0
pass=0

bad() {
	echo "FAIL $*"
	fails=$((fails + 1))
}

check() { # check NAME EXPECTED_STATUS CMD...: output in $tmp/out and $tmp/err
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" -ne "$want" ]; then
		bad "$name: exit $got, wanted $want; stderr: $(head -c 300 "$tmp/err")"
	else
		pass=$((pass + 1))
	fi
}

one_line_err() { # the last command's stderr is exactly one line containing TEXT
	if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "$2" "$tmp/err"; then
		bad "$1: stderr should be one line with '$2', was: $(cat "$tmp/err")"
	else
		pass=$((pass + 1))
	fi
}

has() { # has NAME REGEX: the last command's stdout has a line matching REGEX
	if grep -Eq -- "$2" "$tmp/out"; then pass=$((pass + 1)); else bad "$1: no line matching '$2' in: $(head -c 3000 "$tmp/out")"; fi
}

# --- a hand-built province, written through the API ------------------------------------------------
db="$tmp/c.db"
printf 'code\tparent_code\tkind\ttype_name\tname\n40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\n417\t40\tdistrict\tHuyện\tHuyện Kỳ Sơn\n16837\t417\tcommune\tXã\tXã Nậm Cắn\n16822\t417\tcommune\tXã\tXã Keng Đu\n415\t40\tdistrict\tHuyện\tHuyện Quế Phong\n16756\t415\tcommune\tXã\tXã Tri Lễ\n' >"$tmp/units.tsv"
check "import units" 0 "$PCMT" orgunits import --db "$db" "$tmp/units.tsv"
# an API client: an admin with a bearer token, passed to curl in a config file (not on its command line)
check "api user" 0 "$PCMT" user add api --role admin --api-only --db "$db"
printf 'header = "Authorization: Bearer %s"\n' "$("$PCMT" user token api --db "$db")" >"$tmp/curlrc"
"$PCMT" serve --db "$db" --port 0 --port-file "$tmp/port" 2>"$tmp/serve.log" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "FAIL serve did not start: $(cat "$tmp/serve.log")"; exit 1; }
base="http://127.0.0.1:$(cat "$tmp/port")/api/v1"

post() { # post ENTITY JSON: a refusal fails the test
	local code
	code=$(curl -K "$tmp/curlrc" -sS -o "$tmp/resp" -w '%{http_code}' -H 'Content-Type: application/json' --data "$2" "$base/$1")
	[ "$code" = 201 ] || bad "POST $1 $2: $code $(cat "$tmp/resp")"
}

# Nậm Cắn, 4,000 people: 2 places in use, 4 arrests (0.1%), 3,200 plants on 800 m2 destroyed: type I
# on three confirmed criteria. Keng Đu, 2,000 people: one place: type III. Tri Lễ: no population.
post populations '{"ou_id": "16837", "year": 2025, "population": 4000}'
post populations '{"ou_id": "16822", "year": 2025, "population": 2000}'
for v in "Bản Huồi Pủ" "Bản Xốp Pu"; do
	post hotspots "{\"kind\": \"use_venue\", \"ou_id\": \"16837\", \"address\": \"$v\", \"discovered\": \"2025-01-10\", \"status_history\": [{\"status\": \"active\", \"date\": \"2025-01-10\"}]}"
done
post hotspots '{"kind": "use_venue", "ou_id": "16822", "address": "Bản Keng Đu", "discovered": "2025-02-10", "status_history": [{"status": "active", "date": "2025-02-10"}]}'
post cases '{"case_number": "1/2025/VA-417", "detected": "2025-02-01", "ou_id": "16837", "detecting_force": "border_guard", "route": "land_border", "suspects": 3, "seizures": [{"substance": "heroin", "quantity": 1050, "unit": "g"}]}'
post cases '{"case_number": "2/2025/VA-417", "detected": "2025-03-01", "ou_id": "16837", "detecting_force": "police", "route": "cyberspace", "suspects": 1}'
post plant_sites '{"ou_id": "16837", "detected": "2025-01-15", "area_m2": 800, "plant_count": 3200, "eradicated": "2025-01-16"}'

# --- table, CSV, JSON ------------------------------------------------------------------------------
check "table" 0 "$PCMT" eval classification --db "$db" --year 2025 --orgunit 40
has "title" '^Complex communes \(Decision 28/2025/QĐ-TTg\) under 40 Tỉnh Nghệ An, 2025: facts from 2025-01-01 to 2025-06-15$'
has "district row" '^417 +Huyện Kỳ Sơn +2 +1 +0 +1 +0$'
has "total" '^ +total +3 +1 +0 +1 +1$'
has "type I thresholds" '^  type I +at least 3 of: users_addicts_pct >= 0.5; places >= 2; arrests_pct >= 0.1; plants >= 3000/750; route >= 2/2\*$'
has "type II unconfirmed" '^  type II +at least 3\* of: '
has "commune row" '^16837 +Xã Nậm Cắn +I +4000 +0.00 - +2 I +0.100 I +3200/800 I +1$'
has "type III row" '^16822 +Xã Keng Đu +III\* +2000 '
has "not listed" '^\(1 communes of no type not listed'
check "csv" 0 "$PCMT" eval classification --db "$db" --year 2025 --orgunit 40 --format csv
has "csv header" '^year,code,name,type,confirmed,population,users_addicts,users_addicts_pct,places,arrested,arrests_pct,plants_destroyed,area_destroyed_m2,route_cases,on_complex_route,type3_criteria_met,met_I,met_II,met_III,notes$'
has "csv type I" '^2025,16837,"Xã Nậm Cắn",I,1,4000,0,0,2,4,0.1,3200,800,1,0,3,places;arrests_pct;plants,places;arrests_pct;plants,places;arrests_pct;plants,""$'
has "csv no population" '^2025,16756,"Xã Tri Lễ",none,0,,0,,0,0,,0,0,0,0,0,,,,"no population recorded for 2025: the two rate criteria have no data; '
check "json" 0 "$PCMT" eval classification --db "$db" --year 2025 --orgunit 40 --format json
has "json type" '"type": "I",'
has "json rule" '"rule": "complex.commune.type1.plant_area_m2",'
# the same answer as the API's
curl -K "$tmp/curlrc" -sS "$base/classification?year=2025&orgunit=40" >"$tmp/api.json"
python3 - "$tmp/out" "$tmp/api.json" <<'EOF' && pass=$((pass + 1)) || bad "CLI JSON and API JSON differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
EOF

# --- real time: a third place in Keng Đu and an arrest: the CLI sees it at once --------------------
post hotspots '{"kind": "use_venue", "ou_id": "16822", "address": "Bản Phà Khảo", "discovered": "2025-03-10", "status_history": [{"status": "active", "date": "2025-03-10"}]}'
post cases '{"case_number": "3/2025/VA-417", "detected": "2025-04-01", "ou_id": "16822", "detecting_force": "police", "route": "inland", "suspects": 2}'
check "after writes" 0 "$PCMT" eval classification --db "$db" --year 2025 --orgunit 417 --format csv
has "Keng Du now" '^2025,16822,"Xã Keng Đu",[A-Z]+,[01],2000,0,0,2,2,0.1,'

# --- usage and errors -------------------------------------------------------------------------------
check "no year" 2 "$PCMT" eval classification --db "$db"
one_line_err "no year" "--year is required"
check "bad year" 2 "$PCMT" eval classification --db "$db" --year 25
one_line_err "bad year" "is not a year"
check "bad format" 2 "$PCMT" eval classification --db "$db" --year 2025 --format xml
one_line_err "bad format" "--format must be table, json or csv"
check "extra argument" 2 "$PCMT" eval classification --db "$db" --year 2025 extra
check "bad option" 2 "$PCMT" eval classification --db "$db" --year 2025 --date 2025-01-01
check "unknown org unit" 1 "$PCMT" eval classification --db "$db" --year 2025 --orgunit 99999
one_line_err "unknown org unit" "no org unit with code 99999"
check "before the decision" 1 "$PCMT" eval classification --db "$db" --year 2024
one_line_err "before the decision" "take effect on 2025-08-24: classify 2025 or later"
check "year not begun" 1 "$PCMT" eval classification --db "$db" --year 2026
one_line_err "year not begun" "2026 has not begun"
check "eval help" 0 "$PCMT" eval --help
has "help mentions classification" '^       pcmt eval classification --year YYYY'
check "no subcommand" 2 "$PCMT" eval

kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
srv=""

# --- the demo: operations data, types, indicators ------------------------------------------------------
demo="$tmp/demo.db"
PCMT_TODAY=2025-06-30 PCMT_NOW=2025-06-30T01:02:03Z check "demo" 0 "$PCMT" demo --db "$demo" --scale small
for t in hotspot drug_case plant_site communication_activity ou_population; do
	n=$(sqlite3 "$demo" "SELECT count(*) FROM $t")
	[ "$n" -gt 50 ] && pass=$((pass + 1)) || bad "the demo wrote only $n rows into $t"
done
[ "$(sqlite3 "$demo" "SELECT count(*) FROM plant_site WHERE replanted = 1")" -ge 1 ] && pass=$((pass + 1)) ||
	bad "the demo should have a few replanted sites"
[ "$(sqlite3 "$demo" "SELECT count(DISTINCT route) FROM drug_case")" -eq 6 ] && pass=$((pass + 1)) ||
	bad "the demo's cases should cover every route"
[ "$(sqlite3 "$demo" "SELECT count(*) FROM drug_case WHERE seizures LIKE '%heroin%' OR seizures LIKE '%synthetic_pills%'")" -gt 0 ] &&
	pass=$((pass + 1)) || bad "the demo's cases should seize heroin and pills"
[ "$(sqlite3 "$demo" "SELECT count(*) FROM hotspot WHERE status = 'eliminated'")" -gt 0 ] && pass=$((pass + 1)) ||
	bad "some of the demo's hotspots should be eliminated"
PCMT_TODAY=2025-06-30 check "demo classification" 0 "$PCMT" eval classification --db "$demo" --year 2025 --orgunit 40 --format csv
awk -F, 'NR > 1 && $4 == "I"' "$tmp/out" | cut -d, -f2 >"$tmp/type1"
n1=$(wc -l <"$tmp/type1")
[ "$n1" -ge 3 ] && [ "$n1" -le 12 ] && pass=$((pass + 1)) || bad "the demo should have a few type I communes, has $n1"
"$PCMT" orgunits list --db "$demo" --parent 417 >"$tmp/west"
"$PCMT" orgunits list --db "$demo" --parent 418 >>"$tmp/west"
"$PCMT" orgunits list --db "$demo" --parent 415 >>"$tmp/west"
while read -r code; do
	grep -q "^$code	" "$tmp/west" && pass=$((pass + 1)) || bad "type I commune $code is not in Ky Son, Tuong Duong or Que Phong"
done <"$tmp/type1"
[ "$(awk -F, 'NR > 1 && $4 == "II"' "$tmp/out" | wc -l)" -ge 3 ] && pass=$((pass + 1)) || bad "the demo should have type II communes"
[ "$(awk -F, 'NR > 1 && $4 == "III"' "$tmp/out" | wc -l)" -ge 10 ] && pass=$((pass + 1)) || bad "the demo should have type III communes"
[ "$(awk -F, 'NR > 1 && $6 == ""' "$tmp/out" | wc -l)" -eq 0 ] && pass=$((pass + 1)) || bad "every demo commune should have a 2025 population"
PCMT_TODAY=2025-06-30 check "demo 2022 plan" 0 "$PCMT" indicators --db "$demo" --plan 180/KH-UBND --date 2025-06-30
has "communication reach" '^  40 +Tỉnh Nghệ An +(8[0-9]|9[0-9])(\.[0-9])? +(met|missed) +communes_reached_communication=[0-9]+ communes_total=412$'
has "cases handled" '^  40 +Tỉnh Nghệ An +[0-9.]+ +(met|missed) +cases_prosecuted=[0-9]+ cases_detected=[0-9]+$'
has "replanting" '^  40 +Tỉnh Nghệ An +[0-9]+ +(met|missed) +plant_sites_replanted=[0-9]+$'
PCMT_TODAY=2025-06-30 check "demo national plan" 0 "$PCMT" indicators --db "$demo" --plan CTMTQG-PCMT-2030 --orgunit 40 --date 2025-06-30
has "hotspots" '^\[[0-9]+\] hotspots_destroyed_pct >= 100 percent, plan .*: (on_track|at_risk|met)$'
has "border routes" '^  40 +Tỉnh Nghệ An +-?[0-9.]+ +[a-z_]+ +cases_border_routes=[0-9]+ cases_border_routes_prev=[0-9]+$'
has "cyber" '^\[[0-9]+\] cases_cyber_change_pct > 5 percent, 2025 '

echo "$pass checks passed, $fails failed"
[ "$fails" -eq 0 ]
