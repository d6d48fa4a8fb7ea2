#!/usr/bin/env bash
# test_mat.sh: `pcmt mat queue|dose|stock|reconcile` on the small demo (which draws a year of the
# clinics' work): the queue of the busiest clinic, a dose recorded and the same dose refused the
# second time with a one-line error naming the field, a dose above the prescription refused, a receipt
# and a waste, the evening count 1 mL short flagged and a second count refused, JSON output, and the
# exit codes (0 ok, 1 refused, 2 usage).
set -uo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
	if grep -Eq -- "$2" "$tmp/out"; then pass=$((pass + 1)); else bad "$1: no line matching '$2' in: $(head -c 2000 "$tmp/out")"; fi
}

db="$tmp/d.db"
check "demo" 0 "$PCMT" demo --scale small --db "$db"
has "demo reports the clinics" "methadone clinics +[0-9]+ points, [0-9]+ patients today"
q() { sqlite3 "$db" "$1"; }
fac=$(q "SELECT home_facility_id FROM ost_dose GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
[ -n "$fac" ] || { echo "FAIL the small demo has no doses"; exit 1; }

check "queue" 0 "$PCMT" mat queue --db "$db" --facility "$fac"
has "queue summary" "2025-06-15: [0-9]+ due, [0-9]+ dosed, [0-9]+ waiting"
due=$(sed -n '1s/.*: \([0-9]*\) due.*/\1/p' "$tmp/out")
rows=$(($(wc -l <"$tmp/out") - 2))
[ "$due" -gt 0 ] && [ "$rows" -eq "$due" ] && pass=$((pass + 1)) || bad "queue: $due due but $rows rows"

# a patient due today at that clinic, not dosed yet, methadone, with an ongoing episode
who=$(q "SELECT r.person_id FROM ost_prescription r JOIN treatment t ON t.id = r.treatment_id
	WHERE r.facility_id = $fac AND r.medicine = 'methadone' AND r.valid_from <= '2025-06-15' AND r.valid_to >= '2025-06-15'
	AND t.end_date IS NULL AND r.person_id NOT IN (SELECT person_id FROM ost_dose WHERE dose_date = '2025-06-15')
	ORDER BY r.person_id LIMIT 2")
other=$(echo "$who" | sed -n 2p)
who=$(echo "$who" | sed -n 1p)
[ -n "$other" ] || { echo "FAIL fewer than two patients are waiting at clinic $fac"; exit 1; }
check "dose" 0 "$PCMT" mat dose --db "$db" --person "$who"
has "dose line" "^dose [0-9]+: person $who, 2025-06-15, [0-9]+ mg, witnessed"
check "second dose" 1 "$PCMT" mat dose --db "$db" --person "$who"
one_line_err "second dose" "pcmt mat dose: dose_date: the patient already has a dose for 2025-06-15"
check "dose above the prescription" 1 "$PCMT" mat dose --db "$db" --person "$other" --dose-mg 1000
one_line_err "above" "dose_mg"
check "unknown person" 1 "$PCMT" mat dose --db "$db" --person 999999
one_line_err "unknown person" "person_id: no persons with id 999999"

check "queue after" 0 "$PCMT" mat queue --db "$db" --facility "$fac" --q "$who"
has "dosed in the queue" "^$who .* witnessed +[0-9]+ +none"

check "receipt" 0 "$PCMT" mat stock --db "$db" --facility "$fac" --receipt 1000
has "receipt" "received +[0-9]+\.[0-9]{3}"
check "waste without reason" 2 "$PCMT" mat stock --db "$db" --facility "$fac" --waste 2
check "waste" 0 "$PCMT" mat stock --db "$db" --facility "$fac" --waste 2 --reason "spilled while measuring"
check "stock json" 0 "$PCMT" mat stock --db "$db" --facility "$fac" --format json
expected=$(sed -n 's/.*"expected_closing_ul": \([0-9-]*\).*/\1/p' "$tmp/out")
[ -n "$expected" ] || bad "stock json has no expected_closing_ul: $(head -c 500 "$tmp/out")"
short=$(awk -v e="$expected" 'BEGIN { printf "%.3f", (e - 1000) / 1000 }')
check "reconcile 1 mL short" 0 "$PCMT" mat reconcile --db "$db" --facility "$fac" --counted "$short" --by "DS. Hà"
has "flagged" "difference -1\.000 mL: FLAGGED"
check "reconcile again" 1 "$PCMT" mat reconcile --db "$db" --facility "$fac" --counted "$short"
one_line_err "reconcile again" "day: the stock of 2025-06-15 is already reconciled"
check "queue json" 0 "$PCMT" mat queue --db "$db" --facility "$fac" --format json
has "queue json" "\"due\": $due"

# a rulebook that predates the clinic's rows: the queue says which rule is missing; pcmt migrate (and
# pcmt mat rules, its alias) adds the codes it lacks, leaving the others alone
sqlite3 "$db" "DELETE FROM rule WHERE code LIKE 'ost.missed_dose.%'; UPDATE rule SET value = 14 WHERE code = 'ost.take_home.max_days'"
check "queue without the rules" 1 "$PCMT" mat queue --db "$db" --facility "$fac"
one_line_err "queue without the rules" "ost.missed_dose"
check "migrate" 0 "$PCMT" migrate --db "$db"
has "three codes added" "^rulebook: [0-9]+ rule versions, 3 added from the built-in default \(codes it lacked\):$"
has "alert rule added" "^  ost.missed_dose.alert_days from 2000-01-01$"
[ "$(q "SELECT value FROM rule WHERE code = 'ost.take_home.max_days'")" = "14.0" ] && pass=$((pass + 1)) ||
	bad "migrate touched a code the rulebook had: $(q "SELECT value FROM rule WHERE code = 'ost.take_home.max_days'")"
check "mat rules (alias) again" 0 "$PCMT" mat rules --db "$db"
has "nothing to add" "^rulebook: [0-9]+ rule versions$"
grep -q '^  ' "$tmp/out" && bad "nothing listed: $(cat "$tmp/out")" || pass=$((pass + 1))
check "queue with the rules" 0 "$PCMT" mat queue --db "$db" --facility "$fac"

check "no subcommand" 2 "$PCMT" mat
check "unknown subcommand" 2 "$PCMT" mat frobnicate --facility 1
check "queue without facility" 2 "$PCMT" mat queue --db "$db"
check "bad date" 2 "$PCMT" mat queue --db "$db" --facility "$fac" --date 2025-02-30
check "not a clinic" 1 "$PCMT" mat queue --db "$db" --facility 1
one_line_err "not a clinic" "facility: facility must be a methadone/buprenorphine dispensing point"
check "help" 0 "$PCMT" mat --help
has "help" "usage: pcmt mat queue"

echo "test_mat: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
