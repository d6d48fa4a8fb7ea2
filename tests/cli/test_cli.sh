#!/usr/bin/env bash
# test_cli.sh: the CLI's contract: help for every command, exit codes (0 ok, 1 failure, 2 usage) and
# one-line error messages on stderr.
set -uo pipefail
PCMT=${PCMT_BIN:?PCMT_BIN must name the pcmt binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass=0

check() { # check NAME EXPECTED_STATUS CMD...
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL $name: exit $got, wanted $want; stderr: $(head -c 300 "$tmp/err")"
		fails=$((fails + 1))
	else
		pass=$((pass + 1))
	fi
}

one_line_err() { # the last command's stderr is exactly one line containing TEXT
	local name=$1 text=$2
	if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "$text" "$tmp/err"; then
		echo "FAIL $name: stderr should be one line with '$text', was: $(cat "$tmp/err")"
		fails=$((fails + 1))
	else
		pass=$((pass + 1))
	fi
}

check "help" 0 "$PCMT" --help
grep -q "serve" "$tmp/out" && grep -q "demo" "$tmp/out" && grep -q "migrate" "$tmp/out" || {
	echo "FAIL help lists the commands"; fails=$((fails + 1)); }
check "no args" 2 "$PCMT"
check "unknown command" 2 "$PCMT" frobnicate
one_line_err "unknown command message" "unknown command 'frobnicate'"
check "version" 0 "$PCMT" --version
for c in serve demo migrate orgunits; do
	check "$c --help" 0 "$PCMT" "$c" --help
	grep -q "usage: pcmt $c" "$tmp/out" || { echo "FAIL $c --help shows its usage"; fails=$((fails + 1)); }
done
check "migrate bad option" 2 "$PCMT" migrate --frob
check "migrate creates" 0 "$PCMT" migrate --db "$tmp/a.db"
grep -q "schema version 0 -> " "$tmp/out" || { echo "FAIL migrate reports versions"; fails=$((fails + 1)); }
check "migrate again" 0 "$PCMT" migrate --db "$tmp/a.db"
grep -q "schema version \([0-9]*\) -> \1" "$tmp/out" || { echo "FAIL second migrate changes nothing"; fails=$((fails + 1)); }
check "migrate unwritable" 1 "$PCMT" migrate --db "$tmp/no/such/dir/a.db"
one_line_err "migrate unwritable message" "cannot open"
PCMT_DB="$tmp/env.db" check "PCMT_DB used" 0 "$PCMT" migrate
[ -f "$tmp/env.db" ] || { echo "FAIL PCMT_DB names the database"; fails=$((fails + 1)); }
check "postgres unreachable" 1 "$PCMT" migrate --db postgresql://127.0.0.1:1/x
one_line_err "postgres message" "PostgreSQL"
check "serve bad port" 2 "$PCMT" serve --db "$tmp/a.db" --port notaport
check "serve port in use range" 2 "$PCMT" serve --db "$tmp/a.db" --port 70000

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
