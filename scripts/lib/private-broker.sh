# Sourced by the demo and the benchmarks: starts a private mosquitto with the shipped
# configuration on a free loopback port, its storage in "$1". Sets `port`, appends the broker's
# pid to the caller's `pids` array (stopped by the caller's cleanup trap).
start_private_broker() {
  local storage=$1
  port=""
  for _ in $(seq 1 50); do
    local candidate=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
  done
  [ -n "$port" ] || { echo "no free loopback port found" >&2; return 1; }
  grep -vE '^(listener|persistence_location|log_dest|user)' deploy/mosquitto/mosquitto.conf > "$storage/mosquitto.conf"
  printf 'listener %s 127.0.0.1\npersistence_location %s/\nlog_dest file %s/mosquitto.log\nuser %s\n' \
    "$port" "$storage" "$storage" "$(id -un)" >> "$storage/mosquitto.conf"
  "$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$storage/mosquitto.conf" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
  echo "mosquitto did not start on port $port" >&2
  return 1
}

# wait_for_log FILE TEXT SECONDS WHAT: waits until tele-ingest's log FILE holds TEXT; after
# SECONDS says that WHAT did not happen and fails.
wait_for_log() {
  for _ in $(seq 1 $(($3 * 10))); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  echo "tele-ingest: $4 within $3 s; see $1" >&2
  return 1
}

# Waits until a tele-ingest log file says it is connected.
wait_until_connected() { wait_for_log "$1" "connected to broker" 10 "did not connect"; }
