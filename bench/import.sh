#!/usr/bin/env bash
# import.sh: CSV import throughput (issue 9: at least 200,000 rows/s). Builds pcmt in Release,
# generates a province-sized file of drug tests (ROWS rows for PERSONS persons, dates half ISO and
# half dd/mm/yyyy, Vietnamese enum labels on some rows) and times, on fresh SQLite databases:
#   - baseline: the sqlite3 shell's `.import` of the same file into a bare 4-column table (no
#     parsing of dates, no validation, no keys: the floor of "put these rows in SQLite");
#   - pcmt import --kind tests: every row validated by ent_validate (on a reader thread), its person
#     found by national ID (on the writing thread),
#     checked against the rows already there, written in one transaction (the bulk path);
#   - the same import again (every row found unchanged, nothing written);
# and prints rows/s for each, the target and the ratio to the baseline. Run it under
# `flock /work/wt/heavy.lock bench/import.sh` on a shared machine.
#
# usage: bench/import.sh [--rows N] [--persons N]   (defaults 2,000,000 and 100,000)
# Environment: PCMT_BENCH_BUILD (default build-bench), PCMT_BENCH_DIR (scratch, default bench/data)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${PCMT_BENCH_BUILD:-$src/build-bench}
data=${PCMT_BENCH_DIR:-$here/data}
rows=2000000
persons=100000
while [ $# -gt 0 ]; do
	case "$1" in
	--rows) rows=$2; shift 2 ;;
	--persons) persons=$2; shift 2 ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "import.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
for tool in cmake sqlite3 awk; do
	command -v "$tool" >/dev/null || { echo "import.sh: $tool is needed" >&2; exit 1; }
done

echo "== machine"
echo "cpus      $(nproc) ($(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
echo "load      $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min: other work on the machine skews every figure)"
echo "sqlite3   $(sqlite3 --version | cut -d' ' -f1)"
echo "commit    $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$src" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPCMT_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target pcmt >/dev/null
pcmt=$build/pcmt
mkdir -p "$data"
work=$(mktemp -d "$data/import.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PCMT_TODAY=2025-12-31

now() { date +%s.%N; }
# cpu FILE CMD...: runs CMD, leaving "user system" seconds in FILE (on a loaded machine the wall
# clock mostly measures the queue for a CPU; CPU time is what the import itself costs)
cpu() { local f=$1; shift; /usr/bin/time -f '%U %S' -o "$f" "$@"; }
cpurate() { awk -v n="$1" '{ printf "%.0f", n / ($1 + $2) }' "$2"; }
cpusecs() { awk '{ printf "%.2f", $1 + $2 }' "$1"; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "== data: $rows tests of $persons persons"
printf 'code\tparent_code\tkind\ttype_name\tname\n40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\n417\t40\tdistrict\tHuyện\tHuyện Kỳ Sơn\n16837\t417\tcommune\tXã\tXã Nậm Cắn\n16822\t417\tcommune\tXã\tXã Keng Đu\n' >"$work/units.tsv"
awk -v n="$persons" 'BEGIN {
	print "Số định danh/CCCD,Họ và tên,Giới tính,Ngày sinh,Nơi cư trú (xã/phường)"
	for (i = 0; i < n; i++)
		printf "040090%06d,Nguyễn Văn %d,Nam,01/01/1990,%s\n", i, i, (i % 2 ? "16837" : "16822")
}' >"$work/persons.csv"
# one row per person and day: no two rows are the same
awk -v n="$rows" -v p="$persons" 'function ymd(k,   y, m, d, ml) {
		y = 2020; m = 1; d = 1 + k
		while (1) {
			ml = (m == 2) ? ((y % 4 == 0) ? 29 : 28) : ((m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31)
			if (d <= ml) break
			d -= ml; m++; if (m > 12) { m = 1; y++ }
		}
		Y = y; M = m; D = d
	}
	BEGIN {
	print "Số định danh/CCCD,Ngày xét nghiệm,Hình thức,Kết quả chung"
	for (i = 0; i < n; i++) {
		day = int(i / p)
		if (day != last) { ymd(day); last = day; iso = sprintf("%04d-%02d-%02d", Y, M, D); vn = sprintf("%02d/%02d/%04d", D, M, Y) }
		if (i == 0) { ymd(0); iso = sprintf("%04d-%02d-%02d", Y, M, D); vn = sprintf("%02d/%02d/%04d", D, M, Y) }
		printf "040090%06d,%s,%s,%s\n", i % p, (i % 2 ? iso : vn), (i % 7 ? "periodic" : "Đột xuất"), (i % 5 ? "negative" : "Dương tính")
	}
}' >"$work/tests.csv"
echo "file      $(du -h "$work/tests.csv" | cut -f1) ($(wc -l <"$work/tests.csv") lines with the header)"

echo "== baseline: sqlite3 .import into a bare table"
sqlite3 "$work/base.db" "PRAGMA journal_mode=WAL; CREATE TABLE t (national_id TEXT, test_date TEXT, kind TEXT, result TEXT);" >/dev/null
printf '.mode csv\n.import --skip 1 %s t\n' "$work/tests.csv" >"$work/import.sql"
t0=$(now)
cpu "$work/base.cpu" sqlite3 "$work/base.db" ".read $work/import.sql"
t1=$(now)
base_n=$(sqlite3 "$work/base.db" "SELECT count(*) FROM t")
base_rate=$(rate "$base_n" "$t0" "$t1")
base_cpu=$(cpurate "$base_n" "$work/base.cpu")
echo "rows      $base_n in $(secs "$t0" "$t1") s: $base_rate rows/s; CPU $(cpusecs "$work/base.cpu") s: $base_cpu rows per CPU-second"

echo "== pcmt import"
"$pcmt" migrate --db "$work/p.db" >/dev/null
"$pcmt" orgunits import --db "$work/p.db" "$work/units.tsv" >/dev/null
t0=$(now)
cpu "$work/persons.cpu" "$pcmt" import --db "$work/p.db" --kind persons "$work/persons.csv"
t1=$(now)
persons_rate=$(rate "$persons" "$t0" "$t1")
persons_cpu=$(cpurate "$persons" "$work/persons.cpu")
echo "persons   $persons in $(secs "$t0" "$t1") s: $persons_rate rows/s; CPU $(cpusecs "$work/persons.cpu") s: $persons_cpu rows per CPU-second (row by row: matched by national ID, sealed)"
t0=$(now)
cpu "$work/pcmt.cpu" "$pcmt" import --db "$work/p.db" --kind tests "$work/tests.csv"
t1=$(now)
got=$(sqlite3 "$work/p.db" "SELECT count(*) FROM drug_test")
[ "$got" -eq "$rows" ] || { echo "import.sh: $got tests in the database, wanted $rows" >&2; exit 1; }
pcmt_rate=$(rate "$rows" "$t0" "$t1")
pcmt_cpu=$(cpurate "$rows" "$work/pcmt.cpu")
echo "tests     $rows in $(secs "$t0" "$t1") s: $pcmt_rate rows/s; CPU $(cpusecs "$work/pcmt.cpu") s: $pcmt_cpu rows per CPU-second"
t0=$(now)
cpu "$work/again.cpu" "$pcmt" import --db "$work/p.db" --kind tests "$work/tests.csv"
t1=$(now)
again_rate=$(rate "$rows" "$t0" "$t1")
again_cpu=$(cpurate "$rows" "$work/again.cpu")
echo "again     $rows in $(secs "$t0" "$t1") s: $again_rate rows/s; $again_cpu rows per CPU-second (every row found unchanged)"

echo "== summary"
printf '%-30s %9s rows/s wall %9s rows/CPU-s\n' "sqlite3 .import (baseline)" "$base_rate" "$base_cpu"
printf '%-30s %9s rows/s wall %9s rows/CPU-s  target 200000: wall %s, CPU %s; %.2fx the baseline (wall), %.2fx (CPU)\n' \
	"pcmt import --kind tests" "$pcmt_rate" "$pcmt_cpu" "$([ "$pcmt_rate" -ge 200000 ] && echo met || echo MISSED)" \
	"$([ "$pcmt_cpu" -ge 200000 ] && echo met || echo MISSED)" \
	"$(awk -v a="$pcmt_rate" -v b="$base_rate" 'BEGIN { print a / b }')" "$(awk -v a="$pcmt_cpu" -v b="$base_cpu" 'BEGIN { print a / b }')"
printf '%-30s %9s rows/s wall %9s rows/CPU-s  target 200000 (CPU): %s\n' "pcmt import, same file again" "$again_rate" "$again_cpu" \
	"$([ "$again_cpu" -ge 200000 ] && echo met || echo MISSED)"
printf '%-30s %9s rows/s wall %9s rows/CPU-s  (persons: row by row, sealed)\n' "pcmt import --kind persons" "$persons_rate" "$persons_cpu"
echo "load      $(cut -d' ' -f1-3 /proc/loadavg) at the end"
