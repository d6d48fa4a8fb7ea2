#!/usr/bin/env bash
# test_copy.sh: `pcmt copy` round-trips the demo province SQLite -> PostgreSQL -> SQLite (SQLite ->
# SQLite -> SQLite when $PCMT_TEST_PG names no server) with identical per-table counts and digests
# at every step, and the copies answer `pcmt eval drug-free` exactly as the original; a copy into
# a database that holds rows is refused and writes nothing, --replace starts it afresh.
set -euo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
tmp=$(mktemp -d)
pgdb=""
pgdb2=""
cleanup() {
	for d in $pgdb $pgdb2; do
		if command -v psql >/dev/null 2>&1; then
			psql -q "$PCMT_TEST_PG" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
export PCMT_TODAY=2025-06-30 PCMT_NOW=2025-06-30T01:02:03Z

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() {
	pass=$((pass + 1))
}

if [ -n "${PCMT_TEST_PG:-}" ]; then
	pgdb="pcmt_copy_$$_$RANDOM"
	case "$PCMT_TEST_PG" in *\?*) mid="$PCMT_TEST_PG&dbname=$pgdb" ;; *) mid="$PCMT_TEST_PG?dbname=$pgdb" ;; esac
	pgdb2="pcmt_copyk_$$_$RANDOM"
	case "$PCMT_TEST_PG" in *\?*) keyed="$PCMT_TEST_PG&dbname=$pgdb2" ;; *) keyed="$PCMT_TEST_PG?dbname=$pgdb2" ;; esac
else
	mid="sqlite:$tmp/mid.db"
	keyed="sqlite:$tmp/keyed.db"
fi

"$PCMT" demo --db "$tmp/a.db" --scale province >/dev/null || fail "demo --scale province failed"
"$PCMT" copy --digest --from "$tmp/a.db" >"$tmp/a.digest" || fail "copy --digest failed"
[ "$(wc -l <"$tmp/a.digest")" -ge 15 ] || fail "a digest line per table expected: $(cat "$tmp/a.digest")"
grep -q '^person  *[0-9][0-9][0-9][0-9] ' "$tmp/a.digest" || fail "the province has thousands of persons"
ok

# there ...
"$PCMT" copy --from "$tmp/a.db" --to "$mid" >"$tmp/there.out" || { cat "$tmp/there.out"; fail "copy to $mid failed"; }
! grep -q DIFFERS "$tmp/there.out" || fail "copy reported a difference"
[ "$(grep -c ' same$' "$tmp/there.out")" -eq "$(wc -l <"$tmp/a.digest")" ] || fail "every table should be checked"
"$PCMT" copy --digest --from "$mid" >"$tmp/mid.digest" || fail "digest of the copy failed"
diff "$tmp/a.digest" "$tmp/mid.digest" >&2 || fail "the copy's digests differ from the original's"
ok

# ... and back again
"$PCMT" copy --from "$mid" --to "sqlite:$tmp/c.db" >/dev/null || fail "copy back failed"
"$PCMT" copy --digest --from "$tmp/c.db" >"$tmp/c.digest" || fail "digest of the copy back failed"
diff "$tmp/a.digest" "$tmp/c.digest" >&2 || fail "the round trip's digests differ from the original's"
ok

# the copies are working databases that answer as the original does
n=0
for db in "$tmp/a.db" "$mid" "$tmp/c.db"; do
	n=$((n + 1))
	"$PCMT" eval drug-free --db "$db" --orgunit 40 --format csv >"$tmp/eval.$n.csv" || fail "eval on $db failed"
done
[ "$(wc -l <"$tmp/eval.1.csv")" -gt 400 ] || fail "eval should list the province's communes"
cmp -s "$tmp/eval.1.csv" "$tmp/eval.2.csv" || fail "eval differs between the original and the copy"
cmp -s "$tmp/eval.1.csv" "$tmp/eval.3.csv" || fail "eval differs between the original and the round trip"
"$PCMT" migrate --db "$mid" | grep -q "schema version \([0-9]*\) -> \1" || fail "the copy should be at the newest schema"
ok

# with the key file named in the environment, as a PostgreSQL installation runs: opening the empty
# destination records that key (vault_state), and the copy goes through all the same
PCMT_KEY_FILE=$tmp/a.db.key "$PCMT" copy --from "$tmp/a.db" --to "$keyed" >"$tmp/keyed.out" 2>&1 ||
	fail "copy with \$PCMT_KEY_FILE set failed: $(cat "$tmp/keyed.out")"
PCMT_KEY_FILE=$tmp/a.db.key "$PCMT" copy --digest --from "$keyed" | diff "$tmp/a.digest" - >&2 ||
	fail "the copy made with \$PCMT_KEY_FILE set has other digests"
ok

# a destination with rows is refused, untouched; --replace starts it afresh
if "$PCMT" copy --from "$tmp/a.db" --to "$mid" >"$tmp/refused.out" 2>"$tmp/refused.err"; then
	fail "copy into a database with rows should fail"
fi
grep -q "not empty" "$tmp/refused.err" || fail "the refusal should say why: $(cat "$tmp/refused.err")"
"$PCMT" copy --digest --from "$mid" | diff "$tmp/a.digest" - >&2 || fail "a refused copy changed the destination"
"$PCMT" copy --from "$tmp/c.db" --to "$mid" --replace >/dev/null || fail "copy --replace failed"
"$PCMT" copy --digest --from "$mid" | diff "$tmp/a.digest" - >&2 || fail "copy --replace gave other digests"
ok

# usage
set +e
"$PCMT" copy --from "$tmp/a.db" >/dev/null 2>&1
[ $? -eq 2 ] || fail "copy without --to is a usage error"
set -e
ok

echo "$pass passed"
