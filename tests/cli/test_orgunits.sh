#!/usr/bin/env bash
# test_orgunits.sh: `pcmt orgunits import|list` on real data: the repo's TSV and the official JSON
# give the country's 63/696/10,047 units, a second import changes nothing, and bad or missing files
# fail with a one-line message and write nothing.
set -euo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
SRC=${PCMT_SOURCE_DIR:?PCMT_SOURCE_DIR must name the source tree}
TSV="$SRC/data/vn-units-2025-03-01.tsv"
JSON="$SRC/../shared/data/vn-units-2025-03-01.json"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() {
	pass=$((pass + 1))
}

# count DB KIND: units of that kind, as `pcmt orgunits list` prints them
count() {
	"$PCMT" orgunits list --db "$1" --kind "$2" | wc -l
}

# counts DB: "nation province district commune" counts on one line
counts() {
	echo "$(count "$1" nation) $(count "$1" province) $(count "$1" district) $(count "$1" commune)"
}

# all DB: every unit, for before/after comparisons
all() {
	for k in nation province district commune; do "$PCMT" orgunits list --db "$1" --kind "$k"; done
}

# expect_error NAME TEXT CMD...: CMD exits 1 with one stderr line containing TEXT
expect_error() {
	local name=$1 text=$2 st=0
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" || st=$?
	[ "$st" -eq 1 ] || fail "$name: exit $st, wanted 1; stderr: $(cat "$tmp/err")"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$name: stderr should be one line, was: $(cat "$tmp/err")"
	grep -q -- "$text" "$tmp/err" || fail "$name: stderr should mention '$text', was: $(cat "$tmp/err")"
	ok
}

# --- the repo's TSV ----------------------------------------------------------------------------
db="$tmp/tsv.db"
"$PCMT" orgunits import --db "$db" "$TSV" >"$tmp/out" || fail "import of $TSV failed"
grep -Eq '^commune +10047 +0$' "$tmp/out" || fail "import should report 10047 communes added: $(cat "$tmp/out")"
[ "$(counts "$db")" = "1 63 696 10047" ] || fail "TSV import gives $(counts "$db"), wanted 1 63 696 10047"
ok
all "$db" >"$tmp/before"
"$PCMT" orgunits import --db "$db" "$TSV" >"$tmp/out" || fail "second import failed"
grep -Eq '^commune +0 +10047$' "$tmp/out" || fail "second import should skip all 10047 communes: $(cat "$tmp/out")"
grep -Eq '^province +0 +63$' "$tmp/out" || fail "second import should skip all 63 provinces: $(cat "$tmp/out")"
all "$db" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" || fail "second import changed the units"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM org_unit')" = 10807 ] || fail "org_unit should hold 10807 rows"
ok

# --- the tree: Nghe An, Ky Son, Que Phong ------------------------------------------------------
"$PCMT" orgunits list --db "$db" --parent 40 >"$tmp/na"
[ "$(wc -l <"$tmp/na")" -eq 20 ] || fail "Nghe An (40) should have 20 districts, has $(wc -l <"$tmp/na")"
[ "$(cut -f2 "$tmp/na" | sort -u)" = district ] || fail "the children of 40 should all be districts"
n=0
for d in $(cut -f1 "$tmp/na"); do
	n=$((n + $("$PCMT" orgunits list --db "$db" --parent "$d" | wc -l)))
done
[ "$n" -eq 412 ] || fail "Nghe An should have 412 communes, has $n"
"$PCMT" orgunits list --db "$db" --parent 417 | grep -q $'^16837\tcommune\tXã Nậm Cắn$' ||
	fail "Nam Can (16837) should be a commune of Ky Son (417)"
"$PCMT" orgunits list --db "$db" --parent 415 | grep -q $'^16756\tcommune\tXã Tri Lễ$' ||
	fail "Tri Le (16756) should be a commune of Que Phong (415)"
"$PCMT" orgunits list --db "$db" --parent VN --kind province | grep -q $'^40\tprovince\tTỉnh Nghệ An$' ||
	fail "Nghe An should be a province under VN"
ok
expect_error "list unknown parent" "no org unit has the code 999" "$PCMT" orgunits list --db "$db" --parent 999
expect_error "list bad kind" "--kind must be" "$PCMT" orgunits list --db "$db" --kind planet

# --- the official JSON, as published -----------------------------------------------------------
if [ -f "$JSON" ]; then
	jdb="$tmp/json.db"
	"$PCMT" orgunits import --db "$jdb" "$JSON" >"$tmp/out" || fail "import of $JSON failed"
	[ "$(counts "$jdb")" = "1 63 696 10047" ] || fail "JSON import gives $(counts "$jdb"), wanted 1 63 696 10047"
	all "$jdb" >"$tmp/json"
	cmp -s "$tmp/before" "$tmp/json" || fail "JSON and TSV imports should give the same units"
	q='SELECT o.code, o.kind, o.type_name, o.name, p.code FROM org_unit o LEFT JOIN org_unit p ON p.id = o.parent_id ORDER BY o.code, o.kind'
	[ "$(sqlite3 "$db" "$q" | sha256sum)" = "$(sqlite3 "$jdb" "$q" | sha256sum)" ] ||
		fail "JSON and TSV imports should give the same types and parents"
	"$PCMT" orgunits import --db "$jdb" "$TSV" >"$tmp/out" || fail "TSV over JSON import failed"
	grep -Eq '^commune +0 +10047$' "$tmp/out" || fail "TSV after JSON should add nothing"
	ok
else
	echo "note: $JSON not found; skipping the official JSON import"
fi

# --- errors write nothing ----------------------------------------------------------------------
hdr=$'code\tparent_code\tkind\ttype_name\tname'
printf '%s\n40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\n417\t40\tdistrict\tHuyện\n' "$hdr" >"$tmp/short.tsv"
expect_error "short TSV line" "line 3: expected 5 tab-separated fields" "$PCMT" orgunits import --db "$tmp/e1.db" "$tmp/short.tsv"
[ "$(counts "$tmp/e1.db")" = "0 0 0 0" ] || fail "a malformed TSV should write nothing"

printf '%s\n40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\n417\t99\tdistrict\tHuyện\tHuyện Kỳ Sơn\n' "$hdr" >"$tmp/orphan.tsv"
expect_error "unknown parent" "unknown parent code 99" "$PCMT" orgunits import --db "$tmp/e2.db" "$tmp/orphan.tsv"
[ "$(counts "$tmp/e2.db")" = "0 0 0 0" ] || fail "an unknown parent should roll back the whole import"

printf 'code,parent,kind\n40,VN,province\n' >"$tmp/csv.tsv"
expect_error "wrong header" "line 1: the header must be" "$PCMT" orgunits import --db "$tmp/e3.db" "$tmp/csv.tsv"

printf '%s\n40\tVN\tstate\tTỉnh\tTỉnh Nghệ An\n' "$hdr" >"$tmp/kind.tsv"
expect_error "bad kind" "line 2: kind must be" "$PCMT" orgunits import --db "$tmp/e4.db" "$tmp/kind.tsv"

printf '{"data": [{"level1_id": "40", "name": "Tỉnh Nghệ An", "level2s": [\n  {"level2_id": "417",,}]}]}\n' >"$tmp/bad.json"
expect_error "malformed JSON" "line 2: malformed JSON" "$PCMT" orgunits import --db "$tmp/e5.db" "$tmp/bad.json"
[ "$(counts "$tmp/e5.db")" = "0 0 0 0" ] || fail "a malformed JSON file should write nothing"

printf '{"data": [{"level1_id": "40", "name": "Tỉnh Nghệ An", "level2s": [{"name": "Huyện Kỳ Sơn", "level3s": []}]}]}\n' >"$tmp/noid.json"
expect_error "JSON unit without id" "level2_id is missing" "$PCMT" orgunits import --db "$tmp/e6.db" "$tmp/noid.json"
[ "$(counts "$tmp/e6.db")" = "0 0 0 0" ] || fail "a JSON unit without id should write nothing"

expect_error "missing file" "cannot open" "$PCMT" orgunits import --db "$tmp/e7.db" "$tmp/no-such-file.tsv"
[ ! -e "$tmp/e7.db" ] || fail "a missing input file should not even create the database"

expect_error "reform list refused" "apply it with pcmt orgunits reform" "$PCMT" orgunits import --db "$tmp/e8.db" "$SRC/data/vn-units-2025-07-01.tsv"
[ "$(counts "$tmp/e8.db")" = "0 0 0 0" ] || fail "the refused reform list should write nothing"

st=0
"$PCMT" orgunits import --db "$tmp/e9.db" >/dev/null 2>&1 || st=$?
[ "$st" -eq 2 ] || fail "import without FILE should be a usage error (2), was $st"
"$PCMT" orgunits --help | grep -q "usage: pcmt orgunits import" || fail "orgunits --help shows the usage"
ok

echo "test_orgunits: $pass groups passed"
