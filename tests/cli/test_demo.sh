#!/usr/bin/env bash
# test_demo.sh: `pcmt demo`: the same seed gives byte-identical databases and another seed different
# ones; Nghe An's real districts and communes are there; about two thirds of the communes meet the
# drug-free criteria today (checked here in SQL, independently of the generator); errors write nothing.
set -euo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
SRC=${PCMT_SOURCE_DIR:?PCMT_SOURCE_DIR must name the source tree}
JSON="$SRC/../shared/data/vn-units-2025-03-01.json"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
# a fixed "today" and clock: the dump then includes created_at/updated_at and is still comparable
export PCMT_TODAY=2025-06-30 PCMT_NOW=2025-06-30T01:02:03Z

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() {
	pass=$((pass + 1))
}
dump() {
	sqlite3 "$1" .dump | sha256sum | cut -d' ' -f1
}
q() { # q DB SQL: one value
	sqlite3 "$1" "$2"
}

# Run from an empty directory: the binary must carry its org units, not read the source tree.
cd "$tmp"

# --- determinism -------------------------------------------------------------------------------
"$PCMT" demo --db "$tmp/a.db" --scale small --seed 7 >"$tmp/a.out" || fail "demo --scale small --seed 7 failed"
"$PCMT" demo --db "$tmp/b.db" --scale small --seed 7 >/dev/null || fail "second demo --seed 7 failed"
"$PCMT" demo --db "$tmp/c.db" --scale small --seed 8 >/dev/null || fail "demo --seed 8 failed"
[ "$(dump "$tmp/a.db")" = "$(dump "$tmp/b.db")" ] || fail "the same seed should give identical dumps"
[ "$(dump "$tmp/a.db")" != "$(dump "$tmp/c.db")" ] || fail "another seed should give a different dump"
ok
# without a fixed clock only the timestamps may differ
PCMT_NOW= "$PCMT" demo --db "$tmp/d.db" --scale small --seed 7 >/dev/null || fail "demo without PCMT_NOW failed"
cols() { # every table's columns but the timestamps, as one SELECT per table
	for t in $(q "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"); do
		c=$(q "$1" "SELECT group_concat(name, ', ') FROM pragma_table_info('$t') WHERE name NOT IN ('created_at', 'updated_at')")
		echo "SELECT '$t', $c FROM $t ORDER BY 2;"
	done
}
[ "$(cols "$tmp/a.db" | sqlite3 "$tmp/a.db" | sha256sum)" = "$(cols "$tmp/d.db" | sqlite3 "$tmp/d.db" | sha256sum)" ] ||
	fail "the same seed should give identical rows apart from created_at/updated_at"
ok

# --- the province ------------------------------------------------------------------------------
db="$tmp/a.db"
[ "$("$PCMT" orgunits list --db "$db" --kind commune | wc -l)" -eq 10047 ] || fail "the demo should import all 10047 communes"
[ "$("$PCMT" orgunits list --db "$db" --parent 40 --kind district | wc -l)" -eq 20 ] || fail "Nghe An should have 20 districts"
na_communes="SELECT count(*) FROM org_unit c JOIN org_unit d ON c.parent_id = d.id JOIN org_unit p ON d.parent_id = p.id
	WHERE p.code = '40' AND c.kind = 'commune'"
[ "$(q "$db" "$na_communes")" -eq 412 ] || fail "Nghe An should have 412 communes"
"$PCMT" orgunits list --db "$db" --parent 417 | grep -q $'^16837\tcommune\tXã Nậm Cắn$' || fail "Nam Can should be in Ky Son"
"$PCMT" orgunits list --db "$db" --parent 415 | grep -q $'^16756\tcommune\tXã Tri Lễ$' || fail "Tri Le should be in Que Phong"
outside=$(q "$db" "SELECT count(*) FROM person pe JOIN org_unit c ON c.id = pe.residence_ou JOIN org_unit d ON d.id = c.parent_id
	JOIN org_unit p ON p.id = d.parent_id WHERE p.code <> '40'")
[ "$outside" -eq 0 ] || fail "$outside persons live outside Nghe An"
ok

# --- what the data looks like ------------------------------------------------------------------
persons=$(q "$db" "SELECT count(*) FROM person")
[ "$persons" -ge 550 ] && [ "$persons" -le 650 ] || fail "small scale should have about 600 persons, has $persons"
[ "$(q "$db" "SELECT count(*) FROM facility WHERE kind = 'health_station'")" -eq 412 ] || fail "one health station per commune"
[ "$(q "$db" "SELECT count(*) FROM facility WHERE kind = 'rehab_public'")" -eq 2 ] || fail "two public rehab facilities"
[ "$(q "$db" "SELECT count(*) FROM facility WHERE kind = 'ost_point'")" -eq 8 ] || fail "eight methadone points"
unqual=$(q "$db" "SELECT count(*) FROM determination d JOIN facility f ON f.id = d.facility_id
	WHERE NOT f.qualified OR f.qualified_since > d.det_date")
[ "$unqual" -eq 0 ] || fail "$unqual determinations at facilities not qualified on that date"
male=$(q "$db" "SELECT 100 * sum(sex = 'male') / count(*) FROM person")
[ "$male" -ge 85 ] && [ "$male" -le 97 ] || fail "about 92% of persons should be men, $male% are"
[ "$(q "$db" "SELECT count(*) FROM person WHERE full_name LIKE 'Nguyễn %'")" -gt 0 ] || fail "no Nguyễn among the persons"
[ "$(q "$db" "SELECT count(*) FROM person pe JOIN org_unit c ON c.id = pe.residence_ou
	JOIN org_unit d ON d.id = c.parent_id WHERE d.code = '417' AND (full_name LIKE 'Xồng %' OR full_name LIKE 'Lầu %'
	OR full_name LIKE 'Vừ %' OR full_name LIKE 'Moong %' OR full_name LIKE 'Lô %' OR full_name LIKE 'Vi %')")" -gt 0 ] ||
	fail "Ky Son should have H'Mong, Khmu or Thai names"
dups=$(q "$db" "SELECT count(*) FROM (SELECT name_fold, dob FROM person WHERE national_id IS NULL
	GROUP BY name_fold, dob HAVING count(*) > 1)")
[ "$dups" -ge 2 ] || fail "there should be double registrations without ID (same name and dob), found $dups"
badpos=$(q "$db" "SELECT count(*) FROM drug_test WHERE (result = 'positive') <> (substances LIKE '%\"positive\"%')")
[ "$badpos" -eq 0 ] || fail "$badpos tests whose overall result disagrees with the per-substance results"
future=$(q "$db" "SELECT (SELECT count(*) FROM drug_test WHERE test_date > '2025-06-30') +
	(SELECT count(*) FROM classification WHERE date_from > '2025-06-30') +
	(SELECT count(*) FROM support WHERE support_date > '2025-06-30')")
[ "$future" -eq 0 ] || fail "$future events after today"
for k in addict illegal_user post_rehab psychosis released; do
	[ "$(q "$db" "SELECT count(*) FROM classification WHERE kind = '$k'")" -gt 0 ] || fail "no $k classification"
done
[ "$(q "$db" "SELECT count(*) FROM support WHERE kind = 'loan' AND amount_vnd > 0")" -gt 0 ] || fail "no loans"
ok

# --- drug-free communes today, read in SQL from the criteria in RULES.md -----------------------
# A commune fails when a person classified today (released persons aside) has no open record; an
# addict, illegal user or person with psychosis signs has a latest test outside [today-30, today] or
# not negative; an addict is in no treatment; 10 or more addicts live in the community (not in
# residential treatment); or a post-rehab person has no test or no support since the record opened.
drugfree="WITH T(d) AS (SELECT '$PCMT_TODAY'),
cur AS (SELECT c.person_id, c.kind FROM classification c, T
	WHERE c.date_from <= T.d AND (c.date_to IS NULL OR c.date_to >= T.d) AND c.kind <> 'released'),
p AS (SELECT cur.person_id, cur.kind, pe.residence_ou AS ou FROM cur JOIN person pe ON pe.id = cur.person_id),
rec AS (SELECT person_id, max(opened) AS opened FROM mgmt_record, T
	WHERE opened <= T.d AND (closed IS NULL OR closed > T.d) GROUP BY person_id),
lt AS (SELECT t.person_id, t.test_date AS d, t.result AS r FROM drug_test t, T WHERE t.id = (SELECT t2.id FROM drug_test t2
	WHERE t2.person_id = t.person_id AND t2.test_date <= T.d ORDER BY t2.test_date DESC, t2.id DESC LIMIT 1)),
ongo AS (SELECT person_id, kind FROM treatment, T WHERE start_date <= T.d AND (end_date IS NULL OR end_date > T.d)),
bad AS (
	SELECT p.ou FROM p LEFT JOIN rec ON rec.person_id = p.person_id WHERE rec.person_id IS NULL
	UNION SELECT p.ou FROM p LEFT JOIN lt ON lt.person_id = p.person_id, T WHERE p.kind <> 'post_rehab'
		AND (lt.person_id IS NULL OR lt.d < date(T.d, '-30 days') OR lt.r <> 'negative')
	UNION SELECT p.ou FROM p WHERE p.kind = 'addict' AND NOT EXISTS (SELECT 1 FROM ongo o WHERE o.person_id = p.person_id)
	UNION SELECT p.ou FROM p WHERE p.kind = 'addict' AND NOT EXISTS (SELECT 1 FROM ongo o WHERE o.person_id = p.person_id
		AND o.kind IN ('compulsory_facility', 'voluntary_facility')) GROUP BY p.ou HAVING count(*) >= 10
	UNION SELECT p.ou FROM p JOIN rec ON rec.person_id = p.person_id WHERE p.kind = 'post_rehab' AND (
		NOT EXISTS (SELECT 1 FROM support s WHERE s.person_id = p.person_id AND s.support_date >= rec.opened)
		OR NOT EXISTS (SELECT 1 FROM drug_test t WHERE t.person_id = p.person_id AND t.test_date >= rec.opened)))
$na_communes AND c.id NOT IN (SELECT ou FROM bad)"
free=$(q "$db" "$drugfree")
claimed=$(sed -n 's/.*drug-free today .* communes planned, \([0-9]*\) by the demo.s own check.*/\1/p' "$tmp/a.out")
[ "$free" = "$claimed" ] || fail "SQL finds $free drug-free communes, the demo reported '$claimed'"
[ "$free" -ge 230 ] && [ "$free" -le 330 ] || fail "about two thirds of 412 communes should be drug-free, $free are"
ok

# --- the official JSON as --units gives the same database as the built-in list ------------------
if [ -f "$JSON" ]; then
	"$PCMT" demo --db "$tmp/j.db" --scale small --seed 7 --units "$JSON" >/dev/null || fail "demo --units JSON failed"
	[ "$(dump "$tmp/j.db")" = "$(dump "$tmp/a.db")" ] || fail "--units with the official JSON should give the same data"
	ok
else
	echo "note: $JSON not found; skipping demo --units with the official JSON"
fi

# --- errors ------------------------------------------------------------------------------------
st=0
"$PCMT" demo --db "$tmp/a.db" --scale small >"$tmp/out" 2>"$tmp/err" || st=$?
[ "$st" -eq 1 ] && grep -q "already holds" "$tmp/err" || fail "demo into a filled database should fail (exit $st): $(cat "$tmp/err")"
[ "$(dump "$tmp/a.db")" = "$(dump "$tmp/b.db")" ] || fail "a refused demo should change nothing"
st=0
PCMT_TODAY=2021-06-01 "$PCMT" demo --db "$tmp/early.db" --scale small >"$tmp/out" 2>"$tmp/err" || st=$?
[ "$st" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "a demo before 2022 should fail with one line (exit $st)"
[ "$(q "$tmp/early.db" "SELECT count(*) FROM org_unit")" -eq 0 ] || fail "a failed demo should write nothing"
st=0
"$PCMT" demo --db "$tmp/x.db" --scale huge >/dev/null 2>&1 || st=$?
[ "$st" -ne 0 ] || fail "--scale huge should be refused"
st=0
"$PCMT" demo --db "$tmp/x.db" --units "$tmp/none.tsv" >/dev/null 2>"$tmp/err" || st=$?
[ "$st" -eq 1 ] && grep -q "cannot open" "$tmp/err" || fail "--units with a missing file should fail (exit $st)"
ok

# --- province scale ----------------------------------------------------------------------------
start=$(date +%s)
"$PCMT" demo --db "$tmp/p.db" >"$tmp/p.out" || fail "demo --scale province failed"
secs=$(($(date +%s) - start))
persons=$(q "$tmp/p.db" "SELECT count(*) FROM person")
[ "$persons" -ge 5500 ] && [ "$persons" -le 6500 ] || fail "province scale should have about 6000 persons, has $persons"
free=$(q "$tmp/p.db" "$drugfree")
[ "$free" -ge 230 ] && [ "$free" -le 330 ] || fail "province scale: $free drug-free communes, wanted about two thirds"
echo "province scale: $persons persons, $free drug-free communes, ${secs}s"
ok

echo "test_demo: $pass groups passed"
