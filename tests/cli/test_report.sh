#!/usr/bin/env bash
# test_report.sh: `pcmt report` on a hand-built province (written through a `pcmt serve` started
# here): the CSV it writes is byte for byte what GET /api/v1/reports gives for the same plan, period
# and unit; xlsx and PDF are whole files of their kind; small cells are "<5" in the province's report
# and printed in the commune's own; English headings; exit codes (0 ok, 1 not found, 2 usage) with
# one-line errors; and a failed run leaves no file behind and an existing one untouched.
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

ok() { pass=$((pass + 1)); }

check() { # check NAME EXPECTED_STATUS CMD...: output in $tmp/out and $tmp/err
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" -ne "$want" ]; then
		bad "$name: exit $got, wanted $want; stderr: $(head -c 300 "$tmp/err")"
	else
		ok
	fi
}

one_line_err() { # the last command's stderr is exactly one line containing TEXT
	if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "$2" "$tmp/err"; then
		bad "$1: stderr should be one line with '$2', was: $(cat "$tmp/err")"
	else
		ok
	fi
}

db="$tmp/r.db"
printf 'code\tparent_code\tkind\ttype_name\tname\n40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\n417\t40\tdistrict\tHuyện\tHuyện Kỳ Sơn\n16837\t417\tcommune\tXã\tXã Nậm Cắn\n16822\t417\tcommune\tXã\tXã Keng Đu\n415\t40\tdistrict\tHuyện\tHuyện Quế Phong\n16756\t415\tcommune\tXã\tXã Tri Lễ\n' >"$tmp/units.tsv"
check "import units" 0 "$PCMT" orgunits import --db "$db" "$tmp/units.tsv"
# curl options every request carries: an API-only admin's bearer token (not on curl's command line)
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

# Two addicts with records in Keng Đu: a count of 2, "<5" once the report leaves the commune.
for n in "Vi Văn A" "Vi Văn B"; do
	p=$(post persons "{\"full_name\": \"$n\", \"sex\": \"male\", \"residence_ou\": \"16822\"}")
	post classifications "{\"person_id\": $p, \"kind\": \"addict\", \"date_from\": \"2024-01-01\"}" >/dev/null
	post records "{\"person_id\": $p, \"kind\": \"addict\", \"opened\": \"2024-01-02\", \"managing_ou\": \"16822\"}" >/dev/null
done
plan=$(post plans '{"code": "T-2/KH", "title": "Kế hoạch thử", "issuing_ou": "40", "scope_ou": "40", "period_from": "2025-01-01", "period_to": "2025-12-31"}')
post targets "{\"plan_id\": $plan, \"indicator\": \"drug_free_communes_pct\", \"comparator\": \">=\", \"value\": 50, \"unit\": \"percent\", \"period_kind\": \"year\", \"deadline\": \"2025-12-31\", \"statement\": \"50%\"}" >/dev/null

# --- the three formats ----------------------------------------------------------------------------
check "csv" 0 "$PCMT" report --db "$db" --plan T-2/KH --period 2025 --orgunit 40 --format csv --out "$tmp/r.csv"
[ -s "$tmp/out" ] && bad "csv: wrote to stdout: $(head -c 200 "$tmp/out")" || ok
curl -K "$tmp/curlrc" -sS -o "$tmp/api.csv" "$base/reports?plan=T-2%2FKH&period=2025&orgunit=40&format=csv"
cmp -s "$tmp/r.csv" "$tmp/api.csv" && ok || bad "the CLI's CSV differs from the API's: $(diff "$tmp/r.csv" "$tmp/api.csv" | head -5)"
grep -q 'BÁO CÁO KẾT QUẢ THỰC HIỆN T-2/KH' "$tmp/r.csv" && ok || bad "csv: no title"
grep -q '^Kỳ báo cáo,2025 (01/01/2025 – 31/12/2025)' "$tmp/r.csv" && ok || bad "csv: no period line"
# the province's row of the drug-free section: 3 communes, 2 of them drug-free, 2 addicts as "<5"
grep -q '^40,Tỉnh Nghệ An,3,2,66.66666667,2,3,3,<5,' "$tmp/r.csv" && ok || bad "csv: province drug-free row: $(grep '^40,' "$tmp/r.csv")"

check "xlsx" 0 "$PCMT" report --db "$db" --plan T-2/KH --period 2025 --orgunit 40 --format xlsx --out "$tmp/r.xlsx"
[ "$(head -c 2 "$tmp/r.xlsx")" = PK ] && ok || bad "xlsx: not a zip"
check "pdf" 0 "$PCMT" report --db "$db" --plan T-2/KH --period 2025 --orgunit 40 --format pdf --out "$tmp/r.pdf"
[ "$(head -c 5 "$tmp/r.pdf")" = "%PDF-" ] && ok || bad "pdf: not a PDF"
if command -v pdfinfo >/dev/null; then
	pages=$(pdfinfo "$tmp/r.pdf" | awk '/^Pages:/ { print $2 }')
	[ "${pages:-0}" -ge 1 ] && ok || bad "pdf: pdfinfo finds no page"
else
	bad "pdfinfo is missing (poppler-utils, scripts/apt-packages.txt)"
fi
check "stdout" 0 "$PCMT" report --db "$db" --plan T-2/KH --period 2025 --format csv --out -
cmp -s "$tmp/out" "$tmp/r.csv" && ok || bad "--out - differs from the file"

# the commune's own report prints its count
check "commune" 0 "$PCMT" report --db "$db" --plan T-2/KH --period 2025 --orgunit 16822 --format csv --out "$tmp/c.csv"
grep -q '^16822,Xã Keng Đu,1,0,0,0,1,1,2,2,0,' "$tmp/c.csv" && ok || bad "commune csv: $(grep '^16822,' "$tmp/c.csv")"
grep -q '<5' "$tmp/c.csv" && bad "commune csv suppresses" || ok

check "english" 0 "$PCMT" report --db "$db" --plan T-2/KH --period 2025 --format csv --lang en --out "$tmp/e.csv"
grep -q '^REPORT ON THE IMPLEMENTATION OF T-2/KH' "$tmp/e.csv" && grep -q '^IV. DRUG-FREE COMMUNE EVALUATION' "$tmp/e.csv" && ok ||
	bad "english headings: $(head -c 400 "$tmp/e.csv")"

# --- refusals: one line, the right status, nothing written ----------------------------------------
echo old >"$tmp/keep.csv"
check "no plan" 2 "$PCMT" report --db "$db" --format csv --out "$tmp/x.csv"
one_line_err "no plan" "--plan is required"
check "bad format" 2 "$PCMT" report --db "$db" --plan T-2/KH --format doc --out "$tmp/x.csv"
one_line_err "bad format" "--format must be xlsx, pdf or csv"
check "no out" 2 "$PCMT" report --db "$db" --plan T-2/KH --format csv
one_line_err "no out" "--out FILE is required"
check "bad lang" 2 "$PCMT" report --db "$db" --plan T-2/KH --format csv --lang fr --out "$tmp/x.csv"
one_line_err "bad lang" "--lang must be vi or en"
check "bad date" 2 "$PCMT" report --db "$db" --plan T-2/KH --format csv --date 2025-02-30 --out "$tmp/x.csv"
one_line_err "bad date" "is not a date"
check "bad period" 2 "$PCMT" report --db "$db" --plan T-2/KH --format csv --period 2025-Q5 --out "$tmp/x.csv"
one_line_err "bad period" "period"
check "unknown unit" 1 "$PCMT" report --db "$db" --plan T-2/KH --format csv --orgunit 99999 --out "$tmp/x.csv"
one_line_err "unknown unit" "no org unit with code 99999"
check "unknown plan" 1 "$PCMT" report --db "$db" --plan NO-SUCH --format csv --out "$tmp/keep.csv"
one_line_err "unknown plan" "plan"
[ "$(cat "$tmp/keep.csv")" = old ] && ok || bad "a failed report changed the existing file"
[ -e "$tmp/x.csv" ] && bad "a refused report wrote $tmp/x.csv" || ok
ls "$tmp" | grep -q 'tmp-' && bad "temporary files left: $(ls "$tmp")" || ok

echo "$pass checks passed, $fails failed"
[ "$fails" -eq 0 ]
