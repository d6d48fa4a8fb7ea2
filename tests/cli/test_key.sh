#!/usr/bin/env bash
# test_key.sh: the key that seals identities, from the command line: `pcmt key init` (mode 600,
# never overwritten), the key file created beside a new database, --key-file and $PCMT_KEY_FILE,
# persons still plain from before schema 6 sealed by `pcmt migrate` and gone from the file,
# `pcmt key rotate` (every person readable with the same names afterwards, the old key gone from
# the file and no longer needed, a rotation killed half way resumed), a database without its key
# refused with one line, and `pcmt copy` carrying the key to the copy.
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
unset PCMT_KEY PCMT_KEY_FILE
export PCMT_TODAY=2025-06-30
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
one_line_err() {
	if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "$2" "$tmp/err"; then
		bad "$1: stderr should be one line with '$2', was: $(cat "$tmp/err")"
	else
		ok
	fi
}
mode() { stat -c %a "$1"; }
keys_in() { grep -c '^pcmt-key v1 ' "$1"; }
serve() { # serve DB: starts pcmt serve, sets $base
	rm -f "$tmp/port"
	"$PCMT" serve --db "$1" --port 0 --port-file "$tmp/port" >"$tmp/serve.log" 2>&1 &
	srv=$!
	for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	[ -s "$tmp/port" ] || { bad "serve did not start: $(cat "$tmp/serve.log")"; return 1; }
	base="http://127.0.0.1:$(cat "$tmp/port")/api/v1"
}
unserve() {
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	srv=""
}
names() { # names DB: every person's id, name and national ID through the API, sorted
	serve "$1" || return
	curl -sf -K "$tmp/curlrc" "$base/persons?limit=1000" | grep -o '"id":[0-9]*,"national_id":[^,]*,"full_name":"[^"]*"' | sort
	unserve
}

# --- pcmt key init ------------------------------------------------------------------------------
check "key init" 0 "$PCMT" key init --db "$tmp/i.db"
[ -f "$tmp/i.db.key" ] && [ "$(mode "$tmp/i.db.key")" = 600 ] && [ "$(keys_in "$tmp/i.db.key")" = 1 ] ||
	bad "key init should write i.db.key, mode 600, one key"
check "key init again" 1 "$PCMT" key init --db "$tmp/i.db"
one_line_err "key init again" "refusing to overwrite"
check "key init --key-file" 0 "$PCMT" key init --key-file "$tmp/elsewhere.key" --db "$tmp/i.db"
[ -f "$tmp/elsewhere.key" ] || bad "--key-file names the file to create"
PCMT_KEY_FILE="$tmp/env.key" check "key init \$PCMT_KEY_FILE" 0 "$PCMT" key init --db "$tmp/i.db"
[ -f "$tmp/env.key" ] || bad "\$PCMT_KEY_FILE names the file to create"
check "key with no verb" 2 "$PCMT" key

# --- a new database gets its key beside it ------------------------------------------------------
check "demo" 0 "$PCMT" demo --db "$tmp/a.db" --scale small --seed 3
[ -f "$tmp/a.db.key" ] && [ "$(mode "$tmp/a.db.key")" = 600 ] || bad "the demo should create a.db.key (mode 600)"
# an API client: an admin with a bearer token (the copies of a.db below carry it too)
"$PCMT" user add api --role admin --api-only --db "$tmp/a.db" >/dev/null 2>&1 || bad "cannot add the api user"
printf 'header = "Authorization: Bearer %s"\n' "$("$PCMT" user token api --db "$tmp/a.db")" >"$tmp/curlrc"
before=$(names "$tmp/a.db")
[ "$(echo "$before" | wc -l)" -gt 500 ] || bad "the API should show the demo's persons, got: $(echo "$before" | head -3)"
nid=$(echo "$before" | grep -o '"national_id":"[0-9]*"' | head -1 | grep -o '[0-9]\{9,12\}')
name=$(echo "$before" | sed -n '1s/.*"full_name":"\([^"]*\)"/\1/p')
sqlite3 "$tmp/a.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
for f in "$tmp/a.db" "$tmp/a.db-wal"; do
	[ -f "$f" ] || continue
	grep -qaF "$name" "$f" && bad "$f holds the name $name"
	grep -qaF "$nid" "$f" && bad "$f holds the national ID $nid"
done
ok

# --- persons still plain (written before schema 6) are sealed by pcmt migrate --------------------
cp "$tmp/a.db" "$tmp/p.db"
cp "$tmp/a.db.key" "$tmp/p.db.key"
sqlite3 "$tmp/p.db" "UPDATE person SET full_name = 'Quách Thị Rõ Ràng', national_id = '040199000001',
	name_fold = 'quach thi ro rang', nid_index = NULL, key_id = NULL WHERE id = 1" || bad "cannot plant a plain row"
grep -qaF "Quách Thị Rõ Ràng" "$tmp/p.db" "$tmp/p.db-wal" 2>/dev/null || bad "the planted name should be in the file first"
check "migrate seals plain persons" 0 "$PCMT" migrate --db "$tmp/p.db"
[ "$(sqlite3 "$tmp/p.db" "SELECT count(*) FROM person WHERE key_id IS NULL")" = 0 ] || bad "migrate left plain persons"
for f in "$tmp/p.db" "$tmp/p.db-wal"; do
	[ -f "$f" ] || continue
	grep -qaF "Quách Thị Rõ Ràng" "$f" && bad "$f still holds the planted name after migrate"
	grep -qaF "040199000001" "$f" && bad "$f still holds the planted national ID after migrate"
done
serve "$tmp/p.db" && {
	curl -sf -K "$tmp/curlrc" "$base/persons/1" | grep -q '"full_name":"Quách Thị Rõ Ràng"' || bad "the sealed name should read back"
	curl -sf -K "$tmp/curlrc" "$base/persons?q=ro+rang" | grep -q '"id":1,' || bad "the sealed name should be found"
	curl -sf -K "$tmp/curlrc" "$base/persons?q=040199000001" | grep -q '"id":1,' || bad "the sealed ID should be found"
	unserve
}
ok

# --- rotation -----------------------------------------------------------------------------------
old=$(awk '/^pcmt-key/ { print $3 }' "$tmp/a.db.key")
cp "$tmp/a.db.key" "$tmp/old.key"
check "key rotate" 0 "$PCMT" key rotate --db "$tmp/a.db" --batch 100
grep -q "re-sealed [0-9]* persons under key" "$tmp/out" || bad "rotate should say what it did: $(cat "$tmp/out")"
new=$(awk '/^pcmt-key/ { print $3 }' "$tmp/a.db.key")
[ "$(keys_in "$tmp/a.db.key")" = 1 ] && [ "$new" != "$old" ] || bad "after rotation the file should hold one new key"
[ "$(mode "$tmp/a.db.key")" = 600 ] || bad "the rotated key file should stay mode 600"
[ "$(sqlite3 "$tmp/a.db" "SELECT count(*) FROM person WHERE key_id <> '$new'")" = 0 ] || bad "persons left under the old key"
after=$(names "$tmp/a.db")
[ "$before" = "$after" ] || bad "every person should read the same after rotation"
# the old key alone reads nothing now
cp "$tmp/old.key" "$tmp/only-old.key"
chmod 600 "$tmp/only-old.key"
check "status with the old key" 0 "$PCMT" key status --db "$tmp/a.db" --key-file "$tmp/only-old.key"
grep -q "MISSING" "$tmp/out" || bad "key status should say the database's key is missing from the old file"
# killed half way (batch 1: one commit per person), then run again: resumed
{
	for attempt in 1 2 3; do
		timeout -s KILL 0.4 "$PCMT" key rotate --db "$tmp/a.db" --batch 1 >/dev/null 2>&1
		[ "$(keys_in "$tmp/a.db.key")" -gt 1 ] && break
	done
} 2>/dev/null
[ "$(keys_in "$tmp/a.db.key")" -gt 1 ] || echo "note: the rotation finished before it could be killed"
check "key rotate resumed" 0 "$PCMT" key rotate --db "$tmp/a.db"
[ "$(keys_in "$tmp/a.db.key")" = 1 ] || bad "the resumed rotation should leave one key"
after=$(names "$tmp/a.db")
[ "$before" = "$after" ] || bad "every person should read the same after a killed and resumed rotation"

# --- without its key ----------------------------------------------------------------------------
mv "$tmp/a.db.key" "$tmp/away.key"
check "status without the key" 1 "$PCMT" key status --db "$tmp/a.db"
one_line_err "status without the key" "no key file"
[ -f "$tmp/a.db.key" ] && bad "no new key may be made for a database that already seals under one"
mv "$tmp/away.key" "$tmp/a.db.key"
chmod 644 "$tmp/a.db.key"
check "key file readable by others" 1 "$PCMT" key status --db "$tmp/a.db"
one_line_err "key file readable by others" "chmod 600"
chmod 600 "$tmp/a.db.key"

# --- pcmt copy carries the key --------------------------------------------------------------------
check "copy" 0 "$PCMT" copy --from "$tmp/a.db" --to "$tmp/c.db"
cmp -s "$tmp/a.db.key" "$tmp/c.db.key" || bad "the copy should get the source's key file"
[ "$(names "$tmp/c.db")" = "$before" ] || bad "the copy should read the same persons"

echo "test_key: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
