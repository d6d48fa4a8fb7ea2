#!/usr/bin/env bash
# test_auth.sh: `pcmt user` and `pcmt audit` from the command line, and HTTPS: users added with a
# password on standard input (never an argument), refusals with one-line errors and exit codes
# (bad role, unit of the wrong kind, a short password, a taken name, an unknown user); list; a
# bearer token that works until the user is disabled; `pcmt serve --tls-cert/--tls-key` answering
# HTTPS with a Secure session cookie; the audit log listed and verified, and a tampered copy of the
# database reported broken at the right entry.
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
one_line() { # one_line NAME TEXT: the last command's stderr is one line containing TEXT
	if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "$2" "$tmp/err"; then
		bad "$1: stderr should be one line with '$2', was: $(cat "$tmp/err")"
	else
		ok
	fi
}

db="$tmp/a.db"
printf 'code\tparent_code\tkind\ttype_name\tname\n40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\n417\t40\tdistrict\tHuyện\tHuyện Kỳ Sơn\n16837\t417\tcommune\tXã\tXã Nậm Cắn\n' >"$tmp/units.tsv"
check "import units" 0 "$PCMT" orgunits import --db "$db" "$tmp/units.tsv"

# --- users ----------------------------------------------------------------------------------------
echo 'an admin password' | check "add admin" 0 "$PCMT" user add root --role admin --db "$db"
echo 'district password' | check "add district" 0 "$PCMT" user add hoa --role district --orgunit 417 --db "$db"
echo 'whatever password' | check "bad role" 1 "$PCMT" user add x --role king --orgunit 417 --db "$db"
one_line "bad role" "role must be"
echo 'whatever password' | check "wrong kind" 1 "$PCMT" user add x --role district --orgunit 16837 --db "$db"
one_line "wrong kind" "needs a district"
echo 'whatever password' | check "no unit" 1 "$PCMT" user add x --role commune --db "$db"
one_line "no unit" "orgunit"
echo 'short' | check "short password" 1 "$PCMT" user add x --role admin --db "$db"
one_line "short password" "at least 10"
echo 'another password' | check "taken" 1 "$PCMT" user add hoa --role admin --db "$db"
one_line "taken" "exists already"
echo 'whatever password' | check "bad name" 1 "$PCMT" user add 'Hoa Lê' --role admin --db "$db"
check "no role" 2 "$PCMT" user add y --db "$db"
check "password as argument" 2 "$PCMT" user add z --role admin --password secret123456 --db "$db"
check "list" 0 "$PCMT" user list --db "$db"
grep -Eq '^hoa +district +417 +active' "$tmp/out" && ok || bad "list: $(cat "$tmp/out")"
grep -Eq '^root +admin +- +active' "$tmp/out" && ok || bad "list: $(cat "$tmp/out")"
check "token unknown" 1 "$PCMT" user token nobody --db "$db"
one_line "token unknown" "no user nobody"
check "token bad expiry" 2 "$PCMT" user token hoa --expires 999 --db "$db"
check "token" 0 "$PCMT" user token hoa --expires 1 --db "$db"
tok=$(cat "$tmp/out")
[ ${#tok} -eq 43 ] && ok || bad "token: '$tok'"
# the database holds neither the password nor the token
if sqlite3 "$db" .dump | grep -q -e 'district password' -e "$tok"; then bad "a secret is stored in clear"; else ok; fi
sqlite3 "$db" "SELECT pw_hash FROM app_user WHERE username = 'hoa'" | grep -q '^\$argon2id\$' && ok || bad "not an Argon2id hash"

# --- HTTPS ----------------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 -subj /CN=localhost \
	>/dev/null 2>&1 || bad "openssl could not make a certificate"
check "tls needs both" 2 "$PCMT" serve --db "$db" --port 0 --tls-cert "$tmp/cert.pem"
"$PCMT" serve --db "$db" --port 0 --port-file "$tmp/port" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
	>"$tmp/serve.out" 2>"$tmp/serve.log" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "FAIL serve did not start: $(cat "$tmp/serve.log")"; exit 1; }
base="https://127.0.0.1:$(cat "$tmp/port")/api/v1"
grep -q "on https://" "$tmp/serve.out" && ok || bad "start line: $(cat "$tmp/serve.out")"
code=$(curl -sk -o /dev/null -w '%{http_code}' "$base/persons")
[ "$code" = 401 ] && ok || bad "HTTPS without credentials: $code"
printf 'header = "Authorization: Bearer %s"\n' "$tok" >"$tmp/curlrc"
code=$(curl -K "$tmp/curlrc" -sk -o "$tmp/resp" -w '%{http_code}' "$base/auth/me")
[ "$code" = 200 ] && grep -q '"username":"hoa"' "$tmp/resp" && ok || bad "HTTPS with the token: $code $(cat "$tmp/resp")"
curl -sk -D "$tmp/head" -o /dev/null -H 'Content-Type: application/json' \
	--data '{"username":"hoa","password":"district password"}' "$base/auth/login"
code=$(curl -K "$tmp/curlrc" -sk -o /dev/null -w '%{http_code}' "$base/persons?q=nguyen")
[ "$code" = 200 ] && ok || bad "a list over HTTPS: $code"
grep -i '^set-cookie: pcmt_session=' "$tmp/head" | grep -q 'Secure' && ok || bad "no Secure cookie over HTTPS: $(cat "$tmp/head")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$tmp/port")/api/v1/health")
[ "$code" != 200 ] && ok || bad "plain HTTP answered on the HTTPS port"
# disabling the user ends the token at once
check "disable" 0 "$PCMT" user disable hoa --db "$db"
code=$(curl -K "$tmp/curlrc" -sk -o /dev/null -w '%{http_code}' "$base/auth/me")
[ "$code" = 401 ] && ok || bad "a disabled user's token: $code"
kill "$srv"
wait "$srv"
srv=""

# --- audit ----------------------------------------------------------------------------------------
check "audit" 0 "$PCMT" audit --db "$db"
grep -q $'\thoa\tlogin\tauth\t-\tok\t127.0.0.1' "$tmp/out" && ok || bad "no login entry: $(cat "$tmp/out")"
grep -q $'\thoa\tlist\tpersons\t-\tok\t127.0.0.1\tq=nguyen' "$tmp/out" && ok || bad "no list entry: $(cat "$tmp/out")"
check "audit filter" 0 "$PCMT" audit --user nobody --db "$db"
[ ! -s "$tmp/out" ] && ok || bad "filter by user: $(cat "$tmp/out")"
check "verify" 0 "$PCMT" audit verify --db "$db"
grep -q '^intact: [0-9]* entries, head [0-9a-f]\{64\}$' "$tmp/out" && ok || bad "verify: $(cat "$tmp/out")"
n=$(sqlite3 "$db" "SELECT count(*) FROM audit_log")
[ "$n" -ge 2 ] && ok || bad "only $n audit entries"
cp "$db" "$tmp/t.db"
sqlite3 "$tmp/t.db" "UPDATE audit_log SET outcome = 'failed' WHERE id = 1" 2>/dev/null && bad "the audit log took an UPDATE" || ok
sqlite3 "$tmp/t.db" "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET outcome = 'failed' WHERE id = 1"
check "verify tampered" 1 "$PCMT" audit verify --db "$tmp/t.db"
grep -q '^BROKEN at entry 1: ' "$tmp/out" && ok || bad "tampered: $(cat "$tmp/out")"

echo "test_auth.sh: $pass checks passed, $fails failed"
[ "$fails" -eq 0 ]
