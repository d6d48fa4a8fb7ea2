#!/usr/bin/env bash
# test_retention.sh: `pcmt retention`: nobody is due while the demo's managements are recent; on a
# date past the retention period --dry-run counts without writing, --apply erases exactly those
# persons' identifying fields (gone from the API and from the file) and keeps their records and
# dated facts; a second run erases nobody; each run and each erasure leaves an audit entry (the
# chain verifies); usage errors exit 2.
set -uo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset PCMT_KEY PCMT_KEY_FILE
export PCMT_TODAY=2025-06-30
fails=0
pass=0
bad() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
ok() { pass=$((pass + 1)); }
q() { sqlite3 "$tmp/r.db" "$1"; }

"$PCMT" demo --db "$tmp/r.db" --scale small --seed 5 >/dev/null 2>&1 || bad "demo failed"
persons=$(q "SELECT count(*) FROM person")
tests=$(q "SELECT count(*) FROM drug_test")

"$PCMT" retention --db "$tmp/r.db" --dry-run >"$tmp/out" 2>"$tmp/err" || bad "dry run today failed"
grep -q "^dry run: 0 persons due" "$tmp/out" && ok || bad "nobody should be due today: $(cat "$tmp/out")"
[ "$(q "SELECT count(*) FROM audit_log WHERE action = 'retention.dry_run' AND detail LIKE '%\"due\": 0%'")" = 1 ] && ok ||
	bad "a dry run should be audited: $(q "SELECT action, detail FROM audit_log")"

"$PCMT" retention --db "$tmp/r.db" --dry-run --date 2031-01-01 --list >"$tmp/out" 2>"$tmp/err" || bad "dry run 2031 failed"
due=$(sed -n 's/^dry run: \([0-9]*\) persons due.*/\1/p' "$tmp/out")
[ -n "$due" ] && [ "$due" -gt 10 ] && ok || bad "some persons should be due in 2031: $(tail -1 "$tmp/out")"
[ "$(grep -c $'^[0-9]*\t' "$tmp/out")" = "$due" ] && ok || bad "--list should print one line per person due"
grep -q "UNCONFIRMED" "$tmp/out" && ok || bad "the unconfirmed rule should be flagged"
[ "$(q "SELECT count(*) FROM person WHERE erased_on IS NOT NULL")" = 0 ] && ok || bad "a dry run must not erase"
first=$(sed -n '1s/\t.*//p' "$tmp/out")
nid=$(q "SELECT count(*) FROM person WHERE id = $first AND nid_index IS NOT NULL")

"$PCMT" retention --db "$tmp/r.db" --apply --date 2031-01-01 >"$tmp/out" 2>"$tmp/err" || bad "apply failed"
grep -q "; $due erased;" "$tmp/out" && ok || bad "apply should erase the $due persons due: $(cat "$tmp/out")"
[ "$(q "SELECT count(*) FROM audit_log WHERE action = 'retention.apply' AND detail LIKE '%\"erased\": $due}'")" = 1 ] &&
	[ "$(q "SELECT count(*) FROM audit_log WHERE action = 'erase' AND entity = 'persons' AND outcome = 'ok'")" = "$due" ] &&
	[ "$(q "SELECT count(*) FROM audit_log WHERE action = 'erase' AND record_id = $first")" = 1 ] && ok ||
	bad "apply should be audited, one entry per erased person: $(q "SELECT action, count(*) FROM audit_log GROUP BY 1")"
"$PCMT" audit verify --db "$tmp/r.db" >/dev/null 2>&1 && ok || bad "the audit chain should verify after retention"
[ "$(q "SELECT count(*) FROM person WHERE erased_on IS NOT NULL")" = "$due" ] && ok || bad "erased count"
[ "$(q "SELECT count(*) FROM person WHERE erased_on IS NOT NULL AND (full_name <> '' OR national_id IS NOT NULL
	OR aliases IS NOT NULL OR address IS NOT NULL OR phone IS NOT NULL OR nid_index IS NOT NULL
	OR substr(dob, 6) <> '01-01')")" = 0 ] && ok || bad "erased persons should keep no identifying field"
[ "$(q "SELECT count(*) FROM person_token WHERE person_id = $first")" = 0 ] && ok || bad "no search tokens left"
[ "$(q "SELECT count(*) FROM person")" = "$persons" ] && [ "$(q "SELECT count(*) FROM drug_test")" = "$tests" ] && ok ||
	bad "records and facts stay for statistics"
[ "$nid" = 1 ] || echo "note: person $first had no national ID"

"$PCMT" retention --db "$tmp/r.db" --apply --date 2031-01-01 >"$tmp/out" 2>/dev/null || bad "second apply failed"
grep -q "^applied: 0 persons due.*; 0 erased; $due erased before" "$tmp/out" && ok || bad "second run: $(cat "$tmp/out")"

"$PCMT" retention --db "$tmp/r.db" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "without --dry-run or --apply: exit 2"
"$PCMT" retention --db "$tmp/r.db" --dry-run --apply >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "both: exit 2"
"$PCMT" retention --db "$tmp/r.db" --dry-run --date 2031-02-30 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "a bad date: exit 2, one line"

echo "test_retention: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
