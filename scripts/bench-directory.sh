#!/usr/bin/env bash
# Directory benchmarks recorded in docs/benchmarks.md:
#   1. import of the national-scale generated files into a fresh SQLite and a fresh PostgreSQL
#      database (wall time and peak memory from /usr/bin/time -v);
#   2. latency of searches by RPPS on each imported database (santepki-bench).
# Usage: scripts/bench-directory.sh [sqlite|postgres|both]   (default both)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
which_db=${1:-both}

command -v /usr/bin/time >/dev/null || { echo "installing GNU time" >&2; apt-get install -y time >/dev/null; }
cargo build --release -p santepki -p santepki-bench >&2
bin=target/release/santepki
bench=target/release/santepki-bench
data=bench-data/national
work=bench-data/work
mkdir -p "$work"

if [[ ! -f "$data/.complete" ]]; then
  echo "== generating the national-scale files in $data" >&2
  /usr/bin/time -f "generate: %e s, max RSS %M KiB" "$bin" directory generate --scale national --seed 1 --out "$data" >/dev/null
  touch "$data/.complete"
fi
ls -l "$data"
wc -l "$data"/* | tail -n 1

import() { # $1 label, $2 database URL
  echo "== import into $1"
  SANTEPKI_DATABASE__URL="$2" /usr/bin/time -f "import $1: %e s wall, %U s user, %S s system, max RSS %M KiB" \
    "$bin" directory import --identifiers test --quiet "$data"
  SANTEPKI_DATABASE__URL="$2" "$bench" directory-search --queries 20000
}

if [[ $which_db == sqlite || $which_db == both ]]; then
  rm -f "$work"/national.db*
  import SQLite "sqlite://$PWD/$work/national.db"
fi
if [[ $which_db == postgres || $which_db == both ]]; then
  if [[ -z "${SANTEPKI_TEST_POSTGRES_URL:-}" ]]; then
    pg_env=$(scripts/services.sh start)
    eval "$pg_env"
  fi
  base=${SANTEPKI_TEST_POSTGRES_URL%/*}
  psql "$SANTEPKI_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS santepki_bench" -c "CREATE DATABASE santepki_bench"
  import PostgreSQL "$base/santepki_bench"
fi
