#!/usr/bin/env bash
# test_demo.sh: `pcmt demo`: the same seed gives byte-identical databases and another seed different
# ones; Nghe An's real districts and communes are there; about two thirds of the communes meet the
# drug-free criteria today by `pcmt eval drug-free` (the real engine), which agrees with the count the
# demo prints, and the others fail for a mix of reasons; one new test flips a commune; errors write
# nothing.
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
# Identities are sealed with random nonces, so sealed texts differ between two runs; the demo
# databases share one key file, so their blind indexes (folded name, national ID) are equal exactly
# when the names and IDs are: the dumps compare everything but the sealed texts themselves.
export PCMT_KEY_FILE="$tmp/demo.key"
unsealed() {
	sed -E 's/pv1:[0-9a-f]{16}:[A-Za-z0-9+\/=]*/sealed/g'
}
dump() {
	sqlite3 "$1" .dump | grep -v '^INSERT INTO app_user' | unsealed | sha256sum | cut -d' ' -f1
}
q() { # q DB SQL: one value
	sqlite3 "$1" "$2"
}

# Run from an empty directory: the binary must carry its org units, not read the source tree.
cd "$tmp"

# --- determinism -------------------------------------------------------------------------------
"$PCMT" demo --db "$tmp/a.db" --scale small --seed 7 >"$tmp/a.out" || fail "demo --scale small --seed 7 failed"
"$PCMT" demo --db "$tmp/b.db" --scale small --seed 7 >/dev/null || fail "second demo --seed 7 failed"
"$PCMT" demo --db "$tmp/c.db" --scale small --seed 8 >"$tmp/c.out" || fail "demo --seed 8 failed"
[ "$(dump "$tmp/a.db")" = "$(dump "$tmp/b.db")" ] || fail "the same seed should give identical dumps"
[ "$(dump "$tmp/a.db")" != "$(dump "$tmp/c.db")" ] || fail "another seed should give a different dump"
ok
# without a fixed clock only the timestamps may differ
PCMT_NOW= "$PCMT" demo --db "$tmp/d.db" --scale small --seed 7 >/dev/null || fail "demo without PCMT_NOW failed"
cols() { # every table's columns but the timestamps, as one SELECT per table (not the demo users: random passwords)
	for t in $(q "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'app_user' ORDER BY name"); do
		c=$(q "$1" "SELECT group_concat(name, ', ') FROM pragma_table_info('$t') WHERE name NOT IN ('created_at', 'updated_at')")
		echo "SELECT '$t', $c FROM $t ORDER BY 2;"
	done
}
[ "$(cols "$tmp/a.db" | sqlite3 "$tmp/a.db" | unsealed | sha256sum)" = "$(cols "$tmp/d.db" | sqlite3 "$tmp/d.db" | unsealed | sha256sum)" ] ||
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
# names are sealed in the file: read them through the API (pcmt serve opens them with the key file),
# as an API client: an admin with a bearer token
# on a copy: a.db must stay as the demo made it (compared below)
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$db" "$tmp/n.db"
"$PCMT" user add api --role admin --api-only --db "$tmp/n.db" >/dev/null 2>&1 || fail "cannot add the api user"
printf 'header = "Authorization: Bearer %s"\n' "$("$PCMT" user token api --db "$tmp/n.db")" >"$tmp/curlrc"
"$PCMT" serve --db "$tmp/n.db" --port 0 --port-file "$tmp/port" 2>"$tmp/serve.log" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || fail "serve did not start: $(cat "$tmp/serve.log")"
base="http://127.0.0.1:$(cat "$tmp/port")/api/v1"
curl -sf -K "$tmp/curlrc" "$base/persons?limit=1000" >"$tmp/persons.json" || fail "GET persons failed"
ky_son=$(for c in $(q "$db" "SELECT c.id FROM org_unit c JOIN org_unit d ON d.id = c.parent_id WHERE d.code = '417'"); do
	curl -sf -K "$tmp/curlrc" "$base/persons?limit=1000&residence_ou=$c"; done)
kill "$srv"
wait "$srv" 2>/dev/null || true
grep -q '"full_name": *"Nguyễn ' "$tmp/persons.json" || fail "no Nguyễn among the persons"
echo "$ky_son" | grep -Eq '"full_name": *"(Xồng|Lầu|Vừ|Moong|Lô|Vi) ' || fail "Ky Son should have H'Mong, Khmu or Thai names"
# ... and nowhere in the database file or its WAL, nor any national ID (issue 6)
name=$(grep -o '"full_name": *"[^"]*"' "$tmp/persons.json" | sed -n '1s/.*: *"\(.*\)"/\1/p')
nid=$(grep -o '"national_id": *"[0-9]*"' "$tmp/persons.json" | sed -n '1s/[^0-9]*\([0-9]*\)"$/\1/p')
[ -n "$name" ] && [ -n "$nid" ] || fail "the API should show names and national IDs"
for f in "$db" "$db-wal"; do
	[ -f "$f" ] || continue
	! grep -qaF "$name" "$f" || fail "$f holds the name $name in plain text"
	! grep -qaF "$nid" "$f" || fail "$f holds the national ID $nid in plain text"
done
# every Nguyễn person's name (officers' names in management records are staff, not sealed)
grep -o '"full_name": *"Nguyễn [^"]*"' "$tmp/persons.json" | sed 's/.*: *"\(.*\)"/\1/' | sort -u >"$tmp/names"
[ "$(wc -l <"$tmp/names")" -gt 5 ] || fail "too few Nguyễn persons to check"
q "$db" "SELECT DISTINCT officer FROM mgmt_record" >"$tmp/officers"
sqlite3 "$db" "PRAGMA wal_checkpoint" >/dev/null
checked=0
while read -r n; do
	! grep -qF "$n" "$tmp/officers" || continue
	! grep -qaF "$n" "$db" || fail "$db holds the name $n in plain text"
	checked=$((checked + 1))
done <"$tmp/names"
[ "$checked" -gt 5 ] || fail "too few names checked ($checked)"
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

# --- drug-free communes today, by the real evaluation --------------------------------------------
# The JSON is read with awk on its indented lines (one key a line), so no JSON tool is needed.
summary_free() { # summary_free DB [ORGUNIT]: the summary's number of drug-free communes
	"$PCMT" eval drug-free --db "$1" --orgunit "${2:-40}" --format json |
		awk -F'"' '$2 == "drug_free" && $3 !~ /true|false/ && !n++ { gsub(/[^0-9]/, "", $3); print $3 }'
}
failing() { # failing DB: a line per failing commune: code, failures, first failure's person and class, reasons
	"$PCMT" eval drug-free --db "$1" --orgunit 40 --format json | awk -F'"' '
		function flush() { if (bad) print cur, nf, pid1, cls1 list }
		$2 == "code" && $3 == ": " { code = $4 }
		$2 == "drug_free" && $3 ~ /true|false/ { flush(); cur = code; bad = $3 ~ /false/; nf = 0; list = ""; pid = 0; cls = "-"; split("", seen) }
		bad && $2 == "person_id" { pid = $3; gsub(/[^0-9]/, "", pid) }
		bad && $2 == "classification" { cls = $4 == "" ? "-" : $4 }
		bad && $2 == "reason_code" { if (++nf == 1) { pid1 = pid; cls1 = cls } if (!seen[$4]++) list = list " " $4; pid = 0; cls = "-" }
		END { flush() }'
}
# drugfree DB OUT: the number `pcmt eval drug-free` finds (CSV rows, the JSON summary and the JSON's
# communes must agree), checked against the number the demo printed in OUT and against Nghe An's 281 of
# 412 (30 June 2025), give or take 20
drugfree() {
	local n j f claimed
	n=$("$PCMT" eval drug-free --db "$1" --orgunit 40 --format csv | awk -F, 'NR > 1 && $4 == 1' | wc -l) ||
		fail "eval drug-free --format csv on $1 failed"
	j=$(summary_free "$1") || fail "eval drug-free --format json on $1 failed"
	f=$(failing "$1" | wc -l)
	[ "$n" = "$j" ] && [ $((n + f)) -eq 412 ] || fail "$1: CSV gives $n drug-free communes, JSON $j and $f failing"
	claimed=$(sed -n 's/.*drug-free today *\([0-9]*\) of [0-9]* communes (pcmt eval.*/\1/p' "$2")
	[ "$n" = "$claimed" ] || fail "$1: eval finds $n drug-free communes, the demo reported '$claimed'"
	[ "$n" -ge 260 ] && [ "$n" -le 300 ] || fail "$1: about 281 of 412 communes should be drug-free, $n are"
	echo "$n"
}
drugfree "$tmp/a.db" "$tmp/a.out" >/dev/null
drugfree "$tmp/c.db" "$tmp/c.out" >/dev/null
ok

# flip DB: one negative test today for the person behind a commune that fails only on a stale test
# (an addict's, if any) makes it drug-free. Written straight into the file (the change-log trigger
# records it); every `pcmt eval` loads a fresh snapshot. Prints the commune's code.
flip() {
	local db=$1 code nf pid cls before fac
	read -r code nf pid cls _ < <(failing "$db" | awk '$2 == 1 && NF == 5 && $5 == "test_too_old" {
		if ($4 == "addict" && a == "") a = $0; if (o == "") o = $0 } END { print (a != "" ? a : o) }')
	[ -n "${pid:-}" ] && [ "$pid" -gt 0 ] || fail "$db: no commune fails only on a stale test"
	before=$(summary_free "$db")
	[ "$(summary_free "$db" "$code")" = 0 ] || fail "$db: commune $code should fail before the test"
	fac=$(q "$db" "SELECT facility_id FROM drug_test WHERE person_id = $pid AND facility_id IS NOT NULL
		ORDER BY test_date DESC LIMIT 1")
	q "$db" "INSERT INTO drug_test (person_id, test_date, kind, substances, result, facility_id, created_at, updated_at)
		VALUES ($pid, '$PCMT_TODAY', 'sudden', '[{\"substance\":\"opioids\",\"result\":\"negative\"}]', 'negative',
		${fac:-NULL}, '$PCMT_NOW', '$PCMT_NOW')"
	[ "$(summary_free "$db" "$code")" = 1 ] || fail "$db: commune $code should be drug-free after person $pid's test today"
	[ "$(summary_free "$db")" -eq $((before + 1)) ] || fail "$db: $before drug-free communes before the test, not one more after"
	echo "$code ($cls $pid)"
}

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
n=$(drugfree "$tmp/p.db" "$tmp/p.out")
# a realistic mix: tests positive or missing, the ceiling, records, treatment, post-rehab tests or
# support, and persons found but never classified; each reason in several communes
failing "$tmp/p.db" | awk '{ for (i = 5; i <= NF; i++) c[$i]++ } END { for (r in c) print r, c[r] }' | sort >"$tmp/reasons"
for r in test_positive test_too_old ceiling no_record not_in_treatment unclassified_positive no_support; do
	c=$(awk -v r=$r '$1 == r { print $2 }' "$tmp/reasons")
	[ "${c:-0}" -ge 3 ] || fail "province scale: only ${c:-0} failing communes show $r: $(tr '\n' ' ' <"$tmp/reasons")"
done
c=$(awk '$1 == "no_sudden_test" || $1 == "no_periodic_test" { s += $2 } END { print s + 0 }' "$tmp/reasons")
[ "$c" -ge 5 ] || fail "province scale: only $c failing communes lack post-rehab tests"
code=$(flip "$tmp/p.db")
echo "province scale: $persons persons, $n drug-free communes, ${secs}s; failing: $(tr '\n' ' ' <"$tmp/reasons");" \
	"commune $code flipped by one test"
ok

echo "test_demo: $pass groups passed"
