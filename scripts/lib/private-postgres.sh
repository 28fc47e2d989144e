# Sourced by the benchmarks: makes a private PostgreSQL cluster with initdb in "$1"/pg and starts
# it with pg_ctl on a free loopback port, as the tests do (trust on loopback for user `tele`, no
# fsync: a benchmark cluster is thrown away, and SQLite runs beside it with its own default,
# synchronous=NORMAL, which does not fsync each commit either). As root, PostgreSQL's programs
# run as the `postgres` account. Autovacuum visits every second instead of every minute: a run of
# a minute stands for hours of service, in which the statistics follow the tables' growth, and
# tele-ingest's prepared statements are planned again whenever they are renewed (a plan made
# when the journal held a few rows would scan it whole for the rest of the run; docs/POSTGRESQL.md).
# Sets `pg_port` and `pg_url DATABASE`; `stop_private_postgres` stops it. PG_STATEMENTS=1 loads
# pg_stat_statements (scripts/lib/bench-store.sh prints it). PG_OPTIONS adds server settings for a
# diagnosis, e.g. PG_OPTIONS="-c log_autovacuum_min_duration=0 -c logging_collector=on -c
# log_directory=/tmp/pg-log" to keep the server's log of a run.
pg_bin() {
  local version
  version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  echo "/usr/lib/postgresql/$version/bin/$1"
}
pg_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
start_private_postgres() {
  pg_dir="$1/pg"
  mkdir -p "$pg_dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
  pg_port=""
  for _ in $(seq 1 50); do
    local candidate=$(( 40000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then pg_port=$candidate; break; fi
  done
  [ -n "$pg_port" ] || { echo "no free loopback port found" >&2; return 1; }
  pg_run "$(pg_bin initdb)" -D "$pg_dir/data" -U tele --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  pg_run "$(pg_bin pg_ctl)" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c autovacuum_naptime=1${PG_STATEMENTS:+ -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on}${PG_OPTIONS:+ $PG_OPTIONS}" \
    start >/dev/null
}
create_private_database() { pg_run "$(pg_bin createdb)" -h 127.0.0.1 -p "$pg_port" -U tele "$1"; }
pg_url() { echo "postgresql://tele@127.0.0.1:$pg_port/$1?sslmode=disable"; }
stop_private_postgres() {
  [ -n "${pg_dir:-}" ] && pg_run "$(pg_bin pg_ctl)" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
}
