#!/usr/bin/env bash
# test_import.sh: `pcmt import` on files written by a real spreadsheet program: LibreOffice
# (headless) converts a CSV fixture and a hand-written flat ODS sheet (a formula in a date column) to
# xlsx here, and pcmt imports them: counts, all-or-nothing with an error file, --partial, a second
# import that changes nothing, references on the bulk path (an unknown facility or person refused,
# the rows written with theirs), the progress bar on a terminal, and malformed files (a truncated
# workbook, UTF-16, invalid UTF-8, a 10 MB cell) refused with a one-line error and nothing written.
# LibreOffice is required (scripts/apt-packages.txt: libreoffice-calc-nogui): without soffice this
# test fails rather than skip.
set -uo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
tmp=$(mktemp -d)
cleanup() {
	rm -rf "$tmp"
}
trap cleanup EXIT
export PCMT_TODAY=2025-06-30
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
		bad "$name: exit $got, wanted $want; stderr: $(head -c 400 "$tmp/err")"
	else
		pass=$((pass + 1))
	fi
}

one_line_err() { # the last command's stderr is exactly one line containing TEXT
	if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "$2" "$tmp/err"; then
		bad "$1: stderr should be one line with '$2', was: $(head -c 600 "$tmp/err")"
	else
		pass=$((pass + 1))
	fi
}

has() { # has NAME REGEX: the last command's stdout has a line matching REGEX
	if grep -Eq -- "$2" "$tmp/out"; then pass=$((pass + 1)); else bad "$1: no line matching '$2' in: $(head -c 2000 "$tmp/out")"; fi
}

count() { # count DB TABLE: its rows (a count only: person columns may be encrypted)
	sqlite3 "$1" "SELECT count(*) FROM $2"
}

# LibreOffice converts FILE to xlsx in $tmp (own profile: tests run in parallel)
to_xlsx() { # to_xlsx FILE [INFILTER]
	local args=(--headless "-env:UserInstallation=file://$tmp/lo-profile")
	[ -n "${2:-}" ] && args+=("--infilter=$2")
	soffice "${args[@]}" --convert-to xlsx --outdir "$tmp" "$1" >"$tmp/soffice.log" 2>&1
}

command -v soffice >/dev/null || { echo "FAIL soffice (LibreOffice) is not installed: apt-get install libreoffice-calc-nogui"; exit 1; }
command -v sqlite3 >/dev/null || { echo "FAIL sqlite3 is not installed"; exit 1; }

db="$tmp/i.db"
printf 'code\tparent_code\tkind\ttype_name\tname\n40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\n417\t40\tdistrict\tHuyện\tHuyện Kỳ Sơn\n16837\t417\tcommune\tXã\tXã Nậm Cắn\n16822\t417\tcommune\tXã\tXã Keng Đu\n' >"$tmp/units.tsv"
check "units" 0 "$PCMT" orgunits import --db "$db" "$tmp/units.tsv"

# --- persons: a CSV fixture as Excel in Vietnam saves it (semicolons, BOM), through LibreOffice ---
printf '\xef\xbb\xbfSTT;Họ và tên;Giới tính;Ngày sinh;Nơi cư trú (xã/phường);Số định danh/CCCD;Số điện thoại\n' >"$tmp/persons.csv"
printf '1;Nguyễn Văn A;Nam;01/02/1990;16837;040090001234;0912 345 678\n' >>"$tmp/persons.csv"
printf '2;Lữ Thị B;Nữ;05/09/1988;16822;040188000111;\n' >>"$tmp/persons.csv"
printf '3;Vi Văn C;Nam;31/02/1990;16837;;\n' >>"$tmp/persons.csv"
# separator ';', UTF-8 (76); columns: national ID and phone as text (2), date of birth as D/M/Y (4)
to_xlsx "$tmp/persons.csv" "CSV:59,34,76,1,1/1/2/2/3/2/4/4/5/2/6/2/7/2" || bad "soffice could not convert persons.csv: $(cat "$tmp/soffice.log")"
[ -s "$tmp/persons.xlsx" ] || { bad "LibreOffice wrote no persons.xlsx: $(cat "$tmp/soffice.log")"; echo "$pass passed, $fails failed"; exit 1; }

check "persons.xlsx, a bad row" 1 "$PCMT" import --db "$db" --kind persons "$tmp/persons.xlsx"
one_line_err "persons.xlsx, a bad row" "row 4, Ngày sinh (dob)"
grep -q "nothing was written" "$tmp/err" || bad "all-or-nothing: $(cat "$tmp/err")"
has "counts" "persons: 3 rows: 0 added, 0 updated, 0 unchanged, 1 refused"
[ "$(count "$db" person)" = 0 ] || bad "all-or-nothing wrote persons"
[ -s "$tmp/persons-errors.xlsx" ] || bad "no error file beside the input"
# the error file is a workbook LibreOffice opens: every row, the error beside row 4
to_xlsx_csv() { soffice --headless "-env:UserInstallation=file://$tmp/lo-profile" --convert-to "csv:Text - txt - csv (StarCalc):44,34,76" --outdir "$tmp/back" "$1" >"$tmp/soffice.log" 2>&1; }
mkdir -p "$tmp/back"
to_xlsx_csv "$tmp/persons-errors.xlsx" || bad "soffice cannot read the error file"
if [ "$(wc -l <"$tmp/back/persons-errors.csv")" -ne 4 ] || ! grep -q '^3,Vi Văn C,.*,4,Ngày sinh (dob),dob is not a valid date' "$tmp/back/persons-errors.csv"; then
	bad "error file content: $(cat "$tmp/back/persons-errors.csv")"
else
	pass=$((pass + 1))
fi

check "persons.xlsx --partial" 1 "$PCMT" import --db "$db" --kind persons --partial --errors "$tmp/bad.xlsx" "$tmp/persons.xlsx"
has "partial counts" "persons: 3 rows: 2 added, 0 updated, 0 unchanged, 1 refused"
one_line_err "partial" "the other rows were written; the rows and their errors are in $tmp/bad.xlsx"
[ "$(count "$db" person)" = 2 ] || bad "partial: $(count "$db" person) persons"
# in the audit log, committed with the rows
check "audit" 0 "$PCMT" audit --db "$db" --action import
has "the import is audited" "import.*persons.*inserted=2"
check "persons.xlsx again" 1 "$PCMT" import --db "$db" --kind persons --partial "$tmp/persons.xlsx"
has "again: nothing changes" "persons: 3 rows: 0 added, 0 updated, 2 unchanged, 1 refused"
# the CSV itself, BOM and semicolons: the same two persons, unchanged
check "persons.csv" 1 "$PCMT" import --db "$db" --kind persons --partial "$tmp/persons.csv"
has "csv: same persons" "persons: 3 rows: 0 added, 0 updated, 2 unchanged, 1 refused"
grep -q 'Vi Văn C' "$tmp/persons-errors.csv" || bad "csv error file: $(cat "$tmp/persons-errors.csv")"
[ "$(count "$db" person)" = 2 ] || bad "persons changed"

# --- tests: a LibreOffice sheet with a formula where a date belongs -------------------------------
cat >"$tmp/tests.fods" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
<number:date-style style:name="N37"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/></number:date-style>
<style:style style:name="ce1" style:family="table-cell" style:data-style-name="N37"/>
</office:automatic-styles>
<office:body><office:spreadsheet><table:table table:name="Xét nghiệm">
<table:table-row><table:table-cell office:value-type="string"><text:p>Số định danh/CCCD</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Ngày xét nghiệm</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Hình thức</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Kết quả chung</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>040090001234</text:p></table:table-cell><table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="2025-06-01"><text:p>01/06/2025</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Định kỳ</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Âm tính</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>040188000111</text:p></table:table-cell><table:table-cell table:style-name="ce1" table:formula="of:=DATE(2025;6;2)" office:value-type="date" office:date-value="2025-06-02"><text:p>02/06/2025</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>sudden</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>negative</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document>
EOF
to_xlsx "$tmp/tests.fods" || bad "soffice could not convert tests.fods: $(cat "$tmp/soffice.log")"
check "tests.xlsx, a formula date" 1 "$PCMT" import --db "$db" --kind tests "$tmp/tests.xlsx"
one_line_err "formula date" "row 3, Ngày xét nghiệm (test_date): test_date is a formula"
[ "$(count "$db" drug_test)" = 0 ] || bad "a formula row let the file through"
check "tests.xlsx --partial" 1 "$PCMT" import --db "$db" --kind tests --partial "$tmp/tests.xlsx"
has "tests partial" "tests: 2 rows: 1 added, 0 updated, 0 unchanged, 1 refused"
[ "$(sqlite3 "$db" "SELECT test_date || ' ' || kind || ' ' || result FROM drug_test")" = "2025-06-01 periodic negative" ] ||
	bad "the test row: $(sqlite3 "$db" 'SELECT * FROM drug_test')"

# --- references on the bulk path: the import finds them, the database does not check them again ---
sqlite3 "$db" "INSERT INTO facility (name, kind, ou_id, name_fold, created_at, updated_at)
	SELECT 'Trạm y tế xã Nậm Cắn', 'health_station', id, 'tram y te xa nam can', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'
	FROM org_unit WHERE code = '16837'" || bad "cannot add a facility"
{
	echo "national_id,test_date,kind,result,facility_id"
	for i in $(seq 0 2499); do
		nid=040090001234
		[ $((i % 2)) -eq 1 ] && nid=040188000111
		[ "$i" -eq 2000 ] && nid=040099999999
		fac="Trạm y tế xã Nậm Cắn"
		[ "$i" -eq 1200 ] && fac="Trạm y tế xã Không Có"
		printf '%s,%s,periodic,negative,%s\n' "$nid" "$(date -d "2018-01-01 + $((i / 2)) days" +%F)" "$fac"
	done
} >"$tmp/bulk.csv"
tests_before=$(count "$db" drug_test)
check "bulk.csv, an unknown facility and person" 1 "$PCMT" import --db "$db" --kind tests "$tmp/bulk.csv"
has "bulk counts" "tests: 2500 rows: 0 added, 0 updated, 0 unchanged, 2 refused"
grep -q "nothing was written" "$tmp/err" || bad "bulk all-or-nothing: $(cat "$tmp/err")"
grep -q '^.*,1202,.*no facility named ""Trạm y tế xã Không Có""' "$tmp/bulk-errors.csv" &&
	grep -q '^040099999999,.*,2002,.*no person with national ID ""040099999999""' "$tmp/bulk-errors.csv" &&
	pass=$((pass + 1)) || bad "bulk error file: $(grep -E ',(1202|2002),' "$tmp/bulk-errors.csv")"
[ "$(count "$db" drug_test)" = "$tests_before" ] || bad "bulk all-or-nothing wrote tests"
check "bulk.csv --partial" 1 "$PCMT" import --db "$db" --kind tests --partial "$tmp/bulk.csv"
has "bulk partial" "tests: 2500 rows: 2498 added, 0 updated, 0 unchanged, 2 refused"
[ "$(count "$db" drug_test)" = $((tests_before + 2498)) ] || bad "bulk partial: $(count "$db" drug_test) tests"
[ "$(sqlite3 "$db" "SELECT count(*) FROM drug_test t JOIN facility f ON f.id = t.facility_id
	JOIN person p ON p.id = t.person_id WHERE f.name = 'Trạm y tế xã Nậm Cắn'")" = 2498 ] ||
	bad "bulk partial references: $(sqlite3 "$db" 'SELECT person_id, facility_id, count(*) FROM drug_test GROUP BY 1, 2')"
[ -z "$(sqlite3 "$db" "PRAGMA foreign_key_check")" ] || bad "foreign keys broken: $(sqlite3 "$db" "PRAGMA foreign_key_check" | head)"
check "bulk.csv again" 1 "$PCMT" import --db "$db" --kind tests --partial "$tmp/bulk.csv"
has "bulk again: nothing changes" "tests: 2500 rows: 0 added, 0 updated, 2498 unchanged, 2 refused"

# --- the progress bar: on a terminal only ----------------------------------------------------------
{
	echo "national_id,test_date,kind,result"
	for d in $(seq 1 28); do printf '040090001234,2025-02-%02d,periodic,negative\n' "$d"; done
} >"$tmp/many.csv"
check "no bar when stderr is a file" 0 "$PCMT" import --db "$db" --kind tests "$tmp/many.csv"
[ -s "$tmp/err" ] && bad "progress written to a file: $(cat "$tmp/err")"
if command -v script >/dev/null; then
	script -qec "'$PCMT' import --db '$db' --kind tests '$tmp/many.csv'" /dev/null >"$tmp/tty.out" 2>&1
	grep -q '\[#########################\] 100%  28 rows' "$tmp/tty.out" && pass=$((pass + 1)) || bad "no progress bar on a terminal: $(cat -v "$tmp/tty.out")"
	grep -q "28 unchanged" "$tmp/tty.out" || bad "second import of many.csv: $(cat -v "$tmp/tty.out")"
else
	bad "script(1) is needed to give the import a terminal"
fi

# --- malformed files: one line each, nothing written ------------------------------------------------
before=$(count "$db" person)
head -c $(($(stat -c %s "$tmp/persons.xlsx") / 2)) "$tmp/persons.xlsx" >"$tmp/cut.xlsx"
check "truncated xlsx" 1 "$PCMT" import --db "$db" --kind persons "$tmp/cut.xlsx"
one_line_err "truncated xlsx" "cut short or damaged"
printf 'full_name,sex,residence_ou\nNguyễn Văn D,male,16837\n' | iconv -f UTF-8 -t UTF-16 >"$tmp/u16.csv"
check "UTF-16" 1 "$PCMT" import --db "$db" --kind persons "$tmp/u16.csv"
one_line_err "UTF-16" "UTF-16"
printf 'full_name,sex,residence_ou\nNguyen Van E,male,16837\nNguy\xean Van F,male,16837\n' >"$tmp/latin1.csv"
check "invalid UTF-8" 1 "$PCMT" import --db "$db" --kind persons "$tmp/latin1.csv"
one_line_err "invalid UTF-8" "row 3, column 1: the text is not valid UTF-8.*(column \"full_name\")"
{ printf 'full_name,sex,residence_ou\nG,male,16837\n"'; head -c 10485760 /dev/zero | tr '\0' x; printf '",male,16837\n'; } >"$tmp/big.csv"
check "10 MB cell" 1 "$PCMT" import --db "$db" --kind persons "$tmp/big.csv"
one_line_err "10 MB cell" "row 3, column 1: the cell holds 10485760 bytes"
check "unknown header" 1 "$PCMT" import --db "$db" --kind persons "$tmp/many.csv"
one_line_err "unknown header" "the header \"test_date\" is not a field of persons" # many.csv is a tests file
[ "$(count "$db" person)" = "$before" ] || bad "a malformed file wrote persons"

check "no such kind" 1 "$PCMT" import --db "$db" --kind shoes "$tmp/persons.csv"
one_line_err "no such kind" "no such entity"
check "usage" 2 "$PCMT" import --db "$db" "$tmp/persons.csv"

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
