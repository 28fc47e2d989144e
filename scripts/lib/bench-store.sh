# Sourced by the benchmarks that run `tele-ingest run`: the store it writes to, SQLite by default
# or, with POSTGRES=1, a private PostgreSQL cluster (scripts/lib/private-postgres.sh: initdb/pg_ctl
# in the work folder, fsync off) with the inbox a SQLite file in the work folder, as in
# production. `use_bench_store WORK NAME` sets:
#   store           the arguments that name the store for `tele-ingest patients import` and the like
#   store_config    the `database:` line of the service's configuration
#   ingest_settings an array of `ingest:` settings the store needs (the caller may add its own)
#   bench_backend   "SQLite" or "PostgreSQL", for the report
# and defines `query SQL` (one value from the store, whichever backend holds it). The caller's
# cleanup calls `stop_bench_store`.
source "$(dirname "${BASH_SOURCE[0]}")/private-postgres.sh"
use_bench_store() {
  local work=$1 name=$2
  ingest_settings=()
  if [ -n "${POSTGRES:-}" ]; then
    [ "$(id -u)" -eq 0 ] && chmod 755 "$work"   # PostgreSQL's programs run as `postgres`
    start_private_postgres "$work"
    create_private_database "$name"
    bench_database=$name
    store=(--database-url "$(pg_url "$name")")
    mkdir -p "$work/inbox"
    store_config="database: {url: \"$(pg_url "$name")\"}"
    ingest_settings+=("inboxFolder: \"$work/inbox\"")
    bench_backend=PostgreSQL
    query() { pg_run "$(pg_bin psql)" -qAt -h 127.0.0.1 -p "$pg_port" -U tele "$bench_database" -c "$1"; }
  else
    bench_db="$work/$name.sqlite"
    store=(--db "$bench_db")
    store_config="database: {path: \"$bench_db\"}"
    bench_backend=SQLite
    query() { sqlite3 "$bench_db" "$1"; }
  fi
}
stop_bench_store() { [ -n "${POSTGRES:-}" ] && stop_private_postgres; return 0; }
# The `ingest:` line of the service's configuration for `ingest_settings`, or nothing.
ingest_config() {
  if [ ${#ingest_settings[@]} -gt 0 ]; then (IFS=,; echo "ingest: {${ingest_settings[*]}}"); fi
}
