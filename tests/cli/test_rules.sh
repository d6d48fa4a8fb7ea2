#!/usr/bin/env bash
# test_rules.sh: `pcmt rules` and the rulebook a database carries: migrate seeds it once, --date
# picks the versions in force (2026-06-30 vs 2026-07-01), --all lists every version, the JSON and CSV
# forms, exit codes (0 ok, 1 failure, 2 usage) with one-line errors, and docs/rules.md's table in step
# with data/rulebook.tsv.
set -uo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
SRC=${PCMT_SOURCE_DIR:?PCMT_SOURCE_DIR must name the source tree}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
	local name=$1 text=$2
	if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "$text" "$tmp/err"; then
		bad "$name: stderr should be one line with '$text', was: $(cat "$tmp/err")"
	else
		pass=$((pass + 1))
	fi
}

has() { # has NAME REGEX: the last command's stdout has a line matching REGEX
	if grep -Eq -- "$2" "$tmp/out"; then pass=$((pass + 1)); else bad "$1: no line matching '$2' in: $(head -c 2000 "$tmp/out")"; fi
}

lacks() { # lacks NAME REGEX: no line of the last command's stdout matches REGEX
	if grep -Eq -- "$2" "$tmp/out"; then bad "$1: unexpected line matching '$2'"; else pass=$((pass + 1)); fi
}

db="$tmp/r.db"
rows=$(grep -v '^#' "$SRC/data/rulebook.tsv" | grep -vc '^$')
rows=$((rows - 1)) # the header

# --- migrate seeds the rulebook once -------------------------------------------------------------
check "migrate" 0 "$PCMT" migrate --db "$db"
has "migrate seeds" "^rulebook: $rows rule versions \(seeded from the built-in default\)$"
check "migrate again" 0 "$PCMT" migrate --db "$db"
has "second migrate keeps the rulebook" "^rulebook: $rows rule versions$"
if command -v sqlite3 >/dev/null; then
	n=$(sqlite3 "$db" 'SELECT count(*) FROM rule')
	[ "$n" -eq "$rows" ] && pass=$((pass + 1)) || bad "rule table holds $n rows, wanted $rows"
	# an administrator's value survives a later migrate
	sqlite3 "$db" "UPDATE rule SET value = 45 WHERE code = 'test.periodic_interval_days'"
	check "migrate keeps edits" 0 "$PCMT" migrate --db "$db"
	check "rules shows edits" 0 "$PCMT" rules --db "$db" --date 2025-06-15
	has "edited value" '^test\.periodic_interval_days +45 +days '
	sqlite3 "$db" "UPDATE rule SET value = 90 WHERE code = 'test.periodic_interval_days'"
fi

# --- help and usage ------------------------------------------------------------------------------
check "rules --help" 0 "$PCMT" rules --help
has "usage" "^usage: pcmt rules "
check "help lists rules" 0 "$PCMT" --help
has "help lists rules" "^  rules "

# --- the day before and the day of Law 120/2025/QH15 -------------------------------------------
check "rules 2026-06-30" 0 "$PCMT" rules --db "$db" --date 2026-06-30
has "header names the date" "^Rules in force on 2026-06-30: "
has "adult min 12 before" '^treatment\.compulsory_adult_months\.min +12 +months +2022-01-01 +yes +Law 73/2021/QH14$'
has "adult max 24 before" '^treatment\.compulsory_adult_months\.max +24 +months +2022-01-01 '
lacks "no repeat rule before" '^treatment\.compulsory_adult_months\.repeat '
lacks "no move report before" '^user\.move_report_hours '
has "unconfirmed marked" '^test\.periodic_interval_days +90 +days +2022-01-01 +UNCONFIRMED '
before=$(wc -l <"$tmp/out")

check "rules 2026-07-01" 0 "$PCMT" rules --db "$db" --date 2026-07-01
has "adult min 24 from" '^treatment\.compulsory_adult_months\.min +24 +months +2026-07-01 +UNCONFIRMED +Law 120/2025/QH15'
has "adult max 24 from" '^treatment\.compulsory_adult_months\.max +24 +months +2026-07-01 +UNCONFIRMED '
has "repeat 36 from" '^treatment\.compulsory_adult_months\.repeat +36 +months +2026-07-01 +UNCONFIRMED '
has "move report from" '^user\.move_report_hours +24 +hours +2026-07-01 +UNCONFIRMED '
has "voluntary unchanged" '^treatment\.voluntary_months\.max +12 +months +2022-01-01 +yes '
[ "$(wc -l <"$tmp/out")" -eq $((before + 2)) ] && pass=$((pass + 1)) ||
	bad "2026-07-01 should list 2 rules more than 2026-06-30"

check "Vietnamese date form" 0 "$PCMT" rules --db "$db" --date 01/07/2026
has "same day" '^Rules in force on 2026-07-01: '

# today by default (PCMT_TODAY pins it)
PCMT_TODAY=2026-07-01 check "today" 0 "$PCMT" rules --db "$db"
has "today is PCMT_TODAY" '^Rules in force on 2026-07-01: '

# --- every version ---------------------------------------------------------------------------------
check "rules --all" 0 "$PCMT" rules --db "$db" --all --date 2025-06-15
[ "$(wc -l <"$tmp/out")" -eq $((rows + 2)) ] && pass=$((pass + 1)) ||
	bad "--all should list all $rows versions (plus 2 header lines), listed $(($(wc -l <"$tmp/out") - 2))"
has "old version in force" '^treatment\.compulsory_adult_months\.min +12 .* in_force +Law 73'
has "new version future" '^treatment\.compulsory_adult_months\.min +24 .* future +Law 120'
check "rules --all 2026-07-01" 0 "$PCMT" rules --db "$db" --all --date 2026-07-01
has "old version superseded" '^treatment\.compulsory_adult_months\.min +12 .* superseded +Law 73'
has "new version in force" '^treatment\.compulsory_adult_months\.min +24 .* in_force +Law 120'

# --- JSON and CSV ----------------------------------------------------------------------------------
check "json" 0 "$PCMT" rules --db "$db" --date 2026-07-01 --format json
if command -v python3 >/dev/null; then
	python3 -m json.tool "$tmp/out" >/dev/null && pass=$((pass + 1)) || bad "--format json is not JSON"
	got=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
r = {x["code"]: x for x in d["rules"]}
m = r["treatment.compulsory_adult_months.min"]
print(d["date"], d["all"], len(d["rules"]), m["value"], m["effective_from"], m["confirmed"], m["status"],
      r["complex.commune.type1.users_addicts_pct"]["value"])' "$tmp/out")
	[ "$got" = "2026-07-01 False $((before + 2 - 2)) 24 2026-07-01 False in_force 0.5" ] && pass=$((pass + 1)) ||
		bad "json content: $got"
else
	has "json date" '^  "date": "2026-07-01",$'
	has "json value" '"value": 24,'
	has "json unconfirmed" '"confirmed": false,'
fi
check "csv" 0 "$PCMT" rules --db "$db" --date 2026-06-30 --format csv
has "csv header" '^code,value,unit,effective_from,confirmed,source,note,status$'
has "csv row" '^treatment\.compulsory_adult_months\.min,12,months,2022-01-01,yes,Law 73/2021/QH14,.*,in_force$'
has "csv quotes commas" '^mgmt\.illegal_user_months,12,months,2022-01-01,yes,Decree 105/2021/NĐ-CP; Law 73/2021/QH14,"Illegal-user'
[ "$(wc -l <"$tmp/out")" -eq $((before - 2 + 1)) ] && pass=$((pass + 1)) || bad "csv should have one line per rule plus a header"

# --- bad usage: exit 2, one line ---------------------------------------------------------------
check "bad date" 2 "$PCMT" rules --db "$db" --date 2026-02-30
one_line_err "bad date message" "--date must be a real date"
check "not a date" 2 "$PCMT" rules --db "$db" --date tomorrow
one_line_err "not a date message" "--date must be a real date YYYY-MM-DD, not 'tomorrow'"
check "bad format" 2 "$PCMT" rules --db "$db" --format xml
one_line_err "bad format message" "--format must be table, json, csv or md"
check "unknown option" 2 "$PCMT" rules --db "$db" --frob
check "extra argument" 2 "$PCMT" rules --db "$db" extra
check "missing value" 2 "$PCMT" rules --db "$db" --date
# usage errors touch no database
check "bad date writes nothing" 2 "$PCMT" rules --db "$tmp/none.db" --date x
[ ! -e "$tmp/none.db" ] && pass=$((pass + 1)) || bad "a usage error created the database"

# --- run-time failure: exit 1, one line -------------------------------------------------------
check "unopenable database" 1 "$PCMT" rules --db "$tmp/no/such/dir/r.db"
one_line_err "unopenable message" "cannot open"

# --- a database that never met migrate gets the rulebook too ---------------------------------
check "fresh database" 0 "$PCMT" rules --db "$tmp/fresh.db" --date 2025-06-15
has "fresh rules" '^drugfree\.test_window_days +30 +days +2024-01-01 +yes '

# --- docs/rules.md carries the table of the built-in rulebook ----------------------------------
check "md" 0 "$PCMT" rules --db "$tmp/fresh.db" --all --format md
sed -n '/^<!-- rules:begin -->$/,/^<!-- rules:end -->$/p' "$SRC/docs/rules.md" | sed '1d;$d' >"$tmp/doc"
if cmp -s "$tmp/out" "$tmp/doc"; then
	pass=$((pass + 1))
else
	bad "docs/rules.md's table differs from data/rulebook.tsv: regenerate it with pcmt rules --all --format md ($(diff "$tmp/doc" "$tmp/out" | head -5))"
fi

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
