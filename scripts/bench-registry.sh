#!/usr/bin/env bash
# Registry benchmarks of issue 4, as recorded in BENCHMARKS.md. Needs a release build,
# sqlite3, psql and GNU time; PostgreSQL at $PG (default: 127.0.0.1:5432, user postgres).
# Usage: scripts/bench-registry.sh [ROWS]   (default 1000000)
set -euo pipefail
ROWS=${1:-1000000}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
A=${ANJU:-$(cd "$(dirname "$0")/.." && pwd)/target/release/anju}
W=$(mktemp -d /tmp/anju-bench.XXXXXX)
trap 'rm -rf "$W"; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS anju_bench WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
cd "$W"
export ANJU_ADMIN_PASSWORD=Bench-Root-Pass-1 ANJU_LOG=warn
t() { /usr/bin/time -f "$1: %e s wall, %M KB peak RSS" "${@:2}"; }

t "gen $ROWS rows CSV" "$A" gen persons --rows "$ROWS" --out p.csv --seed 1 >/dev/null
echo "CSV: $(du -h p.csv | cut -f1)"

# SQLite: the floor is sqlite3's .import into a bare table, then Anju's import.
t "sqlite3 .import (floor)" sqlite3 floor.db -cmd ".mode csv" ".import p.csv t"
# The same file with the registry's five search indexes built after it: the floor for the
# work an import must do (c1 身份证号, c2 姓名, c6 户籍地区划代码; expressions on the name stand
# in for its pinyin columns). $1: table, $2: operator class for prefix search (PostgreSQL).
idx() {
  echo "CREATE UNIQUE INDEX ${1}_1 ON $1(c1 ${2:-}); CREATE INDEX ${1}_2 ON $1(c6 ${2:-});
        CREATE INDEX ${1}_3 ON $1(c2 ${2:-}, c6); CREATE INDEX ${1}_4 ON $1(lower(c2) ${2:-}, c6);
        CREATE INDEX ${1}_5 ON $1(upper(c2) ${2:-}, c6);"
}
cols=$(head -1 p.csv | sed 's/^\xEF\xBB\xBF//' | tr ',' '\n' | awk '{printf "%sc%d text", (NR>1?", ":""), NR}')
t "sqlite3 .import + the same indexes (floor for the same work)" sqlite3 floor2.db \
  "CREATE TABLE t ($cols)" ".import --csv --skip 1 p.csv t" "$(idx t)"
"$A" --data-dir d user list >/dev/null 2>&1
t "anju import, SQLite, empty registry" "$A" --data-dir d import persons p.csv --json | cut -c1-110
t "anju import again, SQLite, all unchanged" "$A" --data-dir d import persons p.csv --json | cut -c1-110
"$A" --data-dir d bench search --samples 1000

# PostgreSQL: the floor is psql's \copy into a bare table.
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS anju_bench WITH (FORCE)" >/dev/null
psql "$PG/postgres" -qc "CREATE DATABASE anju_bench" >/dev/null
psql "$PG/anju_bench" -qc "CREATE TABLE floor ($cols)"
t "psql copy (floor)" psql "$PG/anju_bench" -qc "\\copy floor FROM 'p.csv' WITH (FORMAT csv, HEADER true)"
psql "$PG/anju_bench" -qc "CREATE TABLE floor2 ($cols)"
t "psql copy + the same indexes (floor for the same work)" psql "$PG/anju_bench" -q \
  -c "\\copy floor2 FROM 'p.csv' WITH (FORMAT csv, HEADER true)" -c "$(idx floor2 text_pattern_ops)"
"$A" --database-url "$PG/anju_bench" user list >/dev/null 2>&1
t "anju import, PostgreSQL, empty registry" "$A" --database-url "$PG/anju_bench" import persons p.csv --json | cut -c1-110
t "anju import again, PostgreSQL, all unchanged" "$A" --database-url "$PG/anju_bench" import persons p.csv --json | cut -c1-110
"$A" --database-url "$PG/anju_bench" bench search --samples 1000

# XLSX of 100,000 rows into an empty SQLite registry.
t "gen 100000 rows XLSX" "$A" gen persons --rows 100000 --out p.xlsx --seed 2 >/dev/null
echo "XLSX: $(du -h p.xlsx | cut -f1)"
"$A" --data-dir x user list >/dev/null 2>&1
t "anju import XLSX 100000, SQLite" "$A" --data-dir x import persons p.xlsx --json | cut -c1-110
