#!/usr/bin/env bash
# test_indicators.sh: `pcmt plans list|show` and `pcmt indicators` on a hand-built database (written
# through a `pcmt serve` started here, so every row passes the API's validation) whose values are
# worked out below; a write through the API shows in the next CLI answer; table, CSV and JSON; exit
# codes (0 ok, 1 not found, 2 usage) with one-line errors; and the demo's plans from the seeds.
set -uo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
SRC=${PCMT_SOURCE_DIR:?PCMT_SOURCE_DIR must name the source tree}
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
db="$tmp/i.db"
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

post() { # post ENTITY JSON: prints the new id; a refusal fails the test
	local code
	code=$(curl -K "$tmp/curlrc" -sS -o "$tmp/resp" -w '%{http_code}' -H 'Content-Type: application/json' --data "$2" "$base/$1")
	if [ "$code" != 201 ]; then
		bad "POST $1 $2: $code $(cat "$tmp/resp")"
		echo 0
		return
	fi
	grep -o '"id": *[0-9]*' "$tmp/resp" | head -1 | grep -o '[0-9]*$'
}

# A (Nậm Cắn) and B (Keng Đu) are addicts with records, A in home/community rehabilitation since
# February; C (Tri Lễ) has no record. Reached 1 of 2 managed: 50%, and 165 of 364 days gone: on track.
a=$(post persons '{"full_name": "Lô Văn A", "sex": "male", "residence_ou": "16837"}')
b=$(post persons '{"full_name": "Vi Văn B", "sex": "male", "residence_ou": "16822"}')
c=$(post persons '{"full_name": "Moong Văn C", "sex": "male", "residence_ou": "16756"}')
for p in "$a" "$b" "$c"; do post classifications "{\"person_id\": $p, \"kind\": \"addict\", \"date_from\": \"2024-01-01\"}" >/dev/null; done
post records "{\"person_id\": $a, \"kind\": \"addict\", \"opened\": \"2024-01-02\", \"managing_ou\": \"16837\"}" >/dev/null
post records "{\"person_id\": $b, \"kind\": \"addict\", \"opened\": \"2024-01-02\", \"managing_ou\": \"16822\"}" >/dev/null
post treatments "{\"person_id\": $a, \"kind\": \"voluntary_community\", \"start_date\": \"2025-02-01\", \"outcome\": \"ongoing\"}" >/dev/null
plan=$(post plans '{"code": "T-1/KH", "title": "Kế hoạch thử", "issuing_ou": "40", "scope_ou": "40", "period_from": "2025-01-01", "period_to": "2025-12-31"}')
post targets "{\"plan_id\": $plan, \"indicator\": \"services_reach_pct\", \"comparator\": \">=\", \"value\": 76, \"unit\": \"percent\", \"period_kind\": \"year\", \"deadline\": \"2025-12-31\", \"statement\": \"76% reach services\"}" >/dev/null
post targets "{\"plan_id\": $plan, \"indicator\": \"addicts_managed\", \"comparator\": \">=\", \"value\": 5, \"unit\": \"persons\", \"period_kind\": \"year\", \"deadline\": \"2025-12-31\"}" >/dev/null

# --- plans ------------------------------------------------------------------------------------------
check "plans list" 0 "$PCMT" plans list --db "$db"
has "plans list row" '^T-1/KH +40 +2025-01-01\.\.2025-12-31 +2  Kế hoạch thử$'
check "plans list csv" 0 "$PCMT" plans list --db "$db" --format csv
has "plans csv" '^"T-1/KH",40,2025-01-01,2025-12-31,,2,"Kế hoạch thử"$'
check "plans show" 0 "$PCMT" plans show T-1/KH --db "$db"
has "show target" '^\[[0-9]+\] services_reach_pct >= 76 percent, year, by 2025-12-31$'
has "show statement" '^    "76% reach services"$'
check "plans show json" 0 "$PCMT" plans show T-1/KH --db "$db" --format json
has "show json targets" '"indicator": "addicts_managed"'
check "plans show unknown" 1 "$PCMT" plans show NOPE --db "$db"
one_line_err "plans show unknown" "no plan has the code NOPE"
check "plans no subcommand" 2 "$PCMT" plans
check "plans bad subcommand" 2 "$PCMT" plans drop --db "$db"
check "plans show without code" 2 "$PCMT" plans show --db "$db"
check "plans bad format" 2 "$PCMT" plans list --db "$db" --format xml

# --- indicators: values, status, formats -------------------------------------------------------------
check "indicators" 0 "$PCMT" indicators --db "$db" --plan T-1/KH
has "plan line" '^Plan T-1/KH: Kế hoạch thử$'
has "target line" '^\[[0-9]+\] services_reach_pct >= 76 percent, 2025 \(measured on 2025-06-15, due 2025-12-31\): on_track$'
has "province row" '^  40 +Tỉnh Nghệ An +50  on_track +addicts_reached_services=1 addicts_managed=2$'
has "district row" '^  417 +Huyện Kỳ Sơn +50  on_track '
has "no data row" '^  415 +Huyện Quế Phong +-  no_data .*division by zero'
has "count target" '^  40 +Tỉnh Nghệ An +2  at_risk +addicts_managed=2$'
has "count below scope" '^  417 +Huyện Kỳ Sơn +2  not_applicable '
check "indicators csv" 0 "$PCMT" indicators --db "$db" --plan T-1/KH --format csv
has "csv header" '^plan,target_id,indicator,comparator,target,unit,period,measured_on,orgunit_code,orgunit_name,value,status,progress,elapsed$'
has "csv row" '^"T-1/KH",[0-9]+,services_reach_pct,>=,76,percent,2025,2025-06-15,40,"Tỉnh Nghệ An",50,on_track,0\.657895,0\.453297$'
check "indicators json" 0 "$PCMT" indicators --db "$db" --plan T-1/KH --format json
has "json status" '"status": "on_track"'
has "json value" '"value": 50,'

# the same answer as the API's
curl -K "$tmp/curlrc" -sS "$base/indicators?plan=T-1/KH" >"$tmp/api.json"
if grep -q '"addicts_reached_services":1' "$tmp/api.json" || grep -q '"addicts_reached_services": *1' "$tmp/api.json"; then
	pass=$((pass + 1))
else
	bad "API answer differs: $(head -c 500 "$tmp/api.json")"
fi

# --- real time: a counselling session for B, written through the API, shows at once --------------
post support "{\"person_id\": $b, \"kind\": \"counselling\", \"support_date\": \"2025-05-01\"}" >/dev/null
check "after a write" 0 "$PCMT" indicators --db "$db" --plan T-1/KH
has "now met" '^  40 +Tỉnh Nghệ An +100  met +addicts_reached_services=2 addicts_managed=2$'

# --- periods, drill-down, dates ----------------------------------------------------------------------
check "Q1" 0 "$PCMT" indicators --db "$db" --plan T-1/KH --period 2025-Q1
has "Q1 missed" '^\[[0-9]+\] services_reach_pct >= 76 percent, 2025-Q1 \(measured on 2025-03-31, due 2025-03-31\): missed$'
check "drill" 0 "$PCMT" indicators --db "$db" --plan T-1/KH --orgunit 417
has "commune row" '^  16822 +Xã Keng Đu +100  met '
check "after deadline" 0 "$PCMT" indicators --db "$db" --plan T-1/KH --date 2026-01-10
has "missed" '^  40 +Tỉnh Nghệ An +2  missed '
check "before the plan" 0 "$PCMT" indicators --db "$db" --plan T-1/KH --date 2024-12-01
has "not started" ': not_started$'

# --- usage and errors -------------------------------------------------------------------------------
check "no plan" 2 "$PCMT" indicators --db "$db"
one_line_err "no plan" "--plan is required"
check "bad period" 2 "$PCMT" indicators --db "$db" --plan T-1/KH --period 2025-Q5
one_line_err "bad period" "--period must be a year"
check "bad date" 2 "$PCMT" indicators --db "$db" --plan T-1/KH --date 2025-02-30
one_line_err "bad date" "--date: '2025-02-30' is not a date"
check "bad format" 2 "$PCMT" indicators --db "$db" --plan T-1/KH --format xml
check "bad option" 2 "$PCMT" indicators --db "$db" --plan T-1/KH --colour
check "extra argument" 2 "$PCMT" indicators --db "$db" --plan T-1/KH extra
check "unknown plan" 1 "$PCMT" indicators --db "$db" --plan NOPE/KH
one_line_err "unknown plan" "no plan has the code or id NOPE/KH"
check "unknown org unit" 1 "$PCMT" indicators --db "$db" --plan T-1/KH --orgunit 99999
one_line_err "unknown org unit" "no org unit with code 99999"
check "measures" 0 "$PCMT" indicators --measures
has "a measure" '^  addicts_managed +persons +stock '
has "an indicator" '^  services_reach_pct +percent +pct\(addicts_reached_services, addicts_managed\)$'
check "help" 0 "$PCMT" --help
has "help lists indicators" '^  indicators '
has "help lists plans" '^  plans '
check "indicators --help" 0 "$PCMT" indicators --help
has "usage" '^usage: pcmt indicators --plan CODE'

kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
srv=""

# --- plans seed: the seeds' plans into a database that has the units, all or nothing -------------
check "seed without Thanh Hoa" 1 "$PCMT" plans seed --db "$db"
one_line_err "seed without Thanh Hoa" "issuing_ou: no such org unit"
check "nothing seeded" 0 "$PCMT" plans list --db "$db"
[ "$(wc -l <"$tmp/out")" -eq 2 ] && pass=$((pass + 1)) || bad "a failed seed wrote plans: $(cat "$tmp/out")"
printf 'code\tparent_code\tkind\ttype_name\tname\n40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\n38\tVN\tprovince\tTỉnh\tTỉnh Thanh Hóa\n' >"$tmp/p.tsv"
check "units for seed" 0 "$PCMT" orgunits import --db "$tmp/s.db" "$tmp/p.tsv"
check "seed" 0 "$PCMT" plans seed --db "$tmp/s.db"
check "seeded" 0 "$PCMT" plans list --db "$tmp/s.db"
has "seeded national" '^CTMTQG-PCMT-2030 +VN +2025-01-01\.\.2030-12-31 +13  '
check "seed twice" 1 "$PCMT" plans seed --db "$tmp/s.db"
one_line_err "seed twice" "already there"

# --- the demo's plans: every numeric target of the seeds ---------------------------------------------
demo="$tmp/demo.db"
PCMT_TODAY=2025-06-30 PCMT_NOW=2025-06-30T01:02:03Z check "demo" 0 "$PCMT" demo --db "$demo" --scale small
check "demo plans" 0 "$PCMT" plans list --db "$demo"
has "plan 180" '^180/KH-UBND +40 +2022-01-01\.\.2022-12-31 +9  '
has "plan 359" '^359/KH-UBND +40 +2023-06-01\.\.2023-06-30 +1  '
has "Thanh Hoa" '^TH-KMT-2024-2025 +38 +2024-01-01\.\.2025-12-31 +2  '
has "national" '^CTMTQG-PCMT-2030 +VN +2025-01-01\.\.2030-12-31 +13  '
check "180 show" 0 "$PCMT" plans show 180/KH-UBND --db "$demo"
has "76%" '^\[[0-9]+\] services_reach_pct >= 76 percent, year, by 2022-12-31$'
has "seed sentence" 'reaches 76% of the total number of addicts with management records"$'
check "359 csv" 0 "$PCMT" indicators --db "$demo" --plan 359/KH-UBND --date 2025-06-30 --format csv
# the value is 100 x completed records / the 500 assigned
awk -F, '$9 == "40" { v = $11 } END { exit !(v != "") }' "$tmp/out" && pass=$((pass + 1)) || bad "359: no province row"
check "359 json" 0 "$PCMT" indicators --db "$demo" --plan 359/KH-UBND --date 2025-06-30 --format json
n=$(grep -m1 '"compulsory_records_completed":' "$tmp/out" | grep -o '[0-9]*' | head -1)
v=$(grep -m1 '"result": ' "$tmp/out" | grep -o '[0-9.]*' | head -1) # the root unit's value
awk -v n="$n" -v v="$v" 'BEGIN { d = 100 * n / 500 - v; exit !(n > 0 && d < 1e-4 && d > -1e-4) }' &&
	pass=$((pass + 1)) || bad "359: value $v is not 100 x $n / 500"
check "Thanh Hoa" 0 "$PCMT" indicators --db "$demo" --plan TH-KMT-2024-2025 --date 2025-06-30
has "Thanh Hoa value" '^  38 +Tỉnh Thanh Hóa +100  met +communes_drug_free=[0-9]+ communes_total=[0-9]+$'
check "national in Nghe An" 0 "$PCMT" indicators --db "$demo" --plan CTMTQG-PCMT-2030 --orgunit 40 --date 2025-06-30
has "drug-free share" '^\[[0-9]+\] drug_free_communes_pct >= 50 percent, plan \(measured on 2025-06-30, due 2030-12-31\): '
has "pending" '^\[[0-9]+\] border_units_equipped_pct > 80 percent, plan .*: no_data$'

# --- docs/indicators.md documents every measure and built-in indicator, with the text the code has ----
"$PCMT" indicators --measures >"$tmp/measures"
while read -r name unit time counts; do
	if grep -Fq -- "| \`$name\` | " "$SRC/docs/indicators.md" && grep -Fq -- "| $counts |" "$SRC/docs/indicators.md"; then
		pass=$((pass + 1))
	else
		bad "docs/indicators.md lacks measure $name as the code documents it: $counts"
	fi
done < <(sed -n '2,/^$/p' "$tmp/measures" | sed '/^$/d')
while read -r code unit expr; do
	grep -Fq -- "| \`$code\` | \`$expr\` | $unit |" "$SRC/docs/indicators.md" && pass=$((pass + 1)) ||
		bad "docs/indicators.md lacks indicator $code = $expr"
done < <(sed -n '/^Built-in indicators:/,/^$/p' "$tmp/measures" | sed '1d; /^$/d')

echo "$pass checks passed, $fails failed"
[ "$fails" -eq 0 ]
