# Sourced by the benchmarks: copies a bulk-loaded benchmark store (console-bench's) from SQLite
# into a PostgreSQL store of the current schema (made by `tele-ingest migrate` beforehand), so that both
# backends are measured on the very same rows. Column names are the same on both; instants,
# milliseconds since 1970 in SQLite, become timestamptz, and payloads bytea. The devices behind
# the readings are registered from the readings (a bulk-loaded store has none of its own).
# Not copied: pairings and the audit log (the benchmark store has no pairings; the worklist and
# patient view do not read the log) — add them before using this on a store in use.
# Usage: copy_store_to_postgres SQLITE_FILE DATABASE_URL
copy_store_to_postgres() {
  local sqlite=$1 url=$2 table columns select
  local tables=(patient journal device reading latest_reading flag personal_setting monitoring_end review escalation note)
  for table in "${tables[@]}"; do
    if [ "$table" = device ]; then
      select="SELECT serial, strftime('%Y-%m-%dT%H:%M:%fZ', min(received_at) / 1000.0, 'unixepoch') FROM reading GROUP BY serial"
      columns="serial, registered_at"
    else
      # The PostgreSQL table's columns and types, in its order; each read from SQLite by name.
      columns=$(psql "$url" -Atc "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '$table'")
      select=$(psql "$url" -Atc "SELECT 'SELECT ' || string_agg(CASE data_type
          WHEN 'timestamp with time zone' THEN format('strftime(''%%Y-%%m-%%dT%%H:%%M:%%fZ'', %I / 1000.0, ''unixepoch'')', column_name)
          WHEN 'bytea' THEN format('''\\x'' || hex(%I)', column_name)
          ELSE quote_ident(column_name) END, ', ' ORDER BY ordinal_position) || ' FROM $table'
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '$table'")
    fi
    [ "$(sqlite3 "$sqlite" "SELECT count(*) FROM ${table/#device/reading}" 2>/dev/null || echo 0)" != 0 ] || continue
    sqlite3 -csv "$sqlite" "$select" | psql "$url" -q -v ON_ERROR_STOP=1 -c "\\copy $table ($columns) FROM STDIN WITH (FORMAT csv)"
  done
  # Identity columns continue after the copied ids.
  psql "$url" -q -Atc "SELECT format('SELECT setval(%L, (SELECT coalesce(max(%I), 0) + 1 FROM %I), false);',
      pg_get_serial_sequence(table_name, column_name), column_name, table_name)
    FROM information_schema.columns WHERE table_schema = 'public' AND is_identity = 'YES'" | psql "$url" -q >/dev/null
  psql "$url" -q -c "ANALYZE"
}
