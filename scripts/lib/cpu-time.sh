# Sourced by the benchmarks: CPU time from /proc.
# cpu_seconds STAT [children]: the user + system seconds a process (/proc/PID/stat) or one of its
# threads (/proc/PID/task/TID/stat) has used so far; with `children`, also those of its children
# that have ended. The name field may hold spaces (a thread named "tele-ingest checkpoints"), so
# the fields are counted after its closing parenthesis.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" -v children="${2:-}" \
    '{sub(/^.*\) /, ""); t = $12 + $13; if (children != "") t += $14 + $15; printf "%.2f", t / hz}' "$1"
}
# per_message SECONDS COUNT: CPU seconds spread over COUNT messages, as "12.3 µs".
per_message() { printf '%.1f µs' "$(echo "$1 * 1000000 / $2" | bc -l)"; }
