# Sourced by the benchmarks that run `tele-ingest run`: the store it writes to, SQLite by default
# or, with POSTGRES=1, a private PostgreSQL cluster (scripts/lib/private-postgres.sh: initdb/pg_ctl
# in the work folder, fsync off) with the inbox a SQLite file in the work folder, as in
# production. `use_bench_store WORK NAME` sets:
#   store           the arguments that name the store for `tele-ingest patients import` and the like
#   store_config    the `database:` line of the service's configuration
#   ingest_settings an array of `ingest:` settings the store needs (the caller may add its own)
#   bench_backend   "SQLite" or "PostgreSQL", for the report
#   bench_db        the SQLite store's path (the store itself unless POSTGRES=1)
# and defines `query SQL` (one value from the store, whichever backend holds it). The caller's
# cleanup calls `stop_bench_store`; `print_statement_times` reports pg_stat_statements when
# PG_STATEMENTS=1.
source "$(dirname "${BASH_SOURCE[0]}")/private-postgres.sh"
use_bench_store() {
  local work=$1 name=$2
  ingest_settings=()
  bench_db="$work/$name.sqlite"
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
    store=(--db "$bench_db")
    store_config="database: {path: \"$bench_db\"}"
    # KEPT_READINGS=N: ingest.keptReadings, the rules' recent readings kept between batches.
    [ -n "${KEPT_READINGS:-}" ] && ingest_settings+=("keptReadings: $KEPT_READINGS")
    bench_backend=SQLite
    query() { sqlite3 "$bench_db" "$1"; }
  fi
}
# With POSTGRES=1 and PG_STATEMENTS=1: the statements that took the server's time during the run,
# costliest first (pg_stat_statements: calls, total and mean milliseconds, rows, share).
print_statement_times() {
  [ -n "${POSTGRES:-}" ] && [ -n "${PG_STATEMENTS:-}" ] || return 0
  query "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
  echo "PostgreSQL's statements by server time (pg_stat_statements):"
  pg_run "$(pg_bin psql)" -h 127.0.0.1 -p "$pg_port" -U tele "$bench_database" -c "
    SELECT calls, round(total_exec_time::numeric) AS total_ms, round(mean_exec_time::numeric, 2) AS mean_ms,
           round(total_plan_time::numeric) AS plan_ms, rows,
           round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1) AS percent,
           left(regexp_replace(query, '\s+', ' ', 'g'), 140) AS statement
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 14"
  query "SELECT 'all statements: ' || round(sum(total_exec_time)) || ' ms executing, ' || round(sum(total_plan_time))
         || ' ms planning, ' || sum(calls) || ' calls' FROM pg_stat_statements"
  echo "The most frequent statements (round trips):"
  pg_run "$(pg_bin psql)" -h 127.0.0.1 -p "$pg_port" -U tele "$bench_database" -c "
    SELECT calls, round(total_exec_time::numeric) AS total_ms, round(total_plan_time::numeric) AS plan_ms,
           left(regexp_replace(query, '\s+', ' ', 'g'), 120) AS statement
    FROM pg_stat_statements ORDER BY calls DESC LIMIT 24"
}
# PostgreSQL's server CPU seconds so far: the postmaster and its backends, and the children that
# have ended (scripts/lib/cpu-time.sh).
server_cpu() {
  local postmaster total child
  postmaster=$(head -1 "$pg_dir/data/postmaster.pid")
  total=$(cpu_seconds "/proc/$postmaster/stat" children)
  for child in $(pgrep -P "$postmaster"); do
    total=$(echo "$total + $(cpu_seconds "/proc/$child/stat" 2>/dev/null || echo 0)" | bc -l)
  done
  echo "$total"
}
stop_bench_store() { [ -n "${POSTGRES:-}" ] && stop_private_postgres; return 0; }
# The `ingest:` line of the service's configuration for `ingest_settings`, or nothing.
ingest_config() {
  if [ ${#ingest_settings[@]} -gt 0 ]; then (IFS=,; echo "ingest: {${ingest_settings[*]}}"); fi
}
