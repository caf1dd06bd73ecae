# Shared by the memory benchmarks (sourced, not run): a scratch directory removed on exit
# (kept with KEEP=1), `litestream replicate DB file://$DIR/replica` started under GNU
# time, and its peak RSS once stopped. Needs BIN (the litestream binary) set.

# Create the scratch directory $DIR (named after $1) and the cleanup trap.
timed_daemon_dir() {
  DIR="$(mktemp -d "${TMPDIR:-/tmp}/$1-XXXXXX")"
  trap timed_daemon_cleanup EXIT
}

timed_daemon_cleanup() {
  [ -n "${TIME_PID:-}" ] && kill -9 "$TIME_PID" 2>/dev/null || true
  [ -n "${DAEMON_PID:-}" ] && kill -9 "$DAEMON_PID" 2>/dev/null || true
  [ -z "${KEEP:-}" ] && rm -rf "$DIR"
}

# Start the daemon on database $1 and wait until it has initialized the database.
timed_daemon_start() {
  /usr/bin/time -v -o "$DIR/time.txt" "$BIN" replicate "$1" "file://$DIR/replica" >"$DIR/daemon.log" 2>&1 &
  TIME_PID=$!
  for _ in $(seq 100); do
    DAEMON_PID="$(pgrep -P "$TIME_PID" || true)"
    [ -n "$DAEMON_PID" ] && grep -q "initialized database" "$DIR/daemon.log" && break
    sleep 0.1
  done
  [ -n "$DAEMON_PID" ] || { echo "daemon did not start" >&2; cat "$DIR/daemon.log" >&2; exit 1; }
}

# Stop the daemon with SIGTERM (graceful shutdown), then print its peak RSS against the
# 64 MiB target and its CPU times; sets RSS_KB.
timed_daemon_stop() {
  kill -TERM "$DAEMON_PID"
  wait "$TIME_PID" || true
  TIME_PID=""
  DAEMON_PID=""
  RSS_KB=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$DIR/time.txt")
  echo "daemon peak RSS: $RSS_KB KiB ($((RSS_KB / 1024)) MiB) → target < 64 MiB: $([ "$RSS_KB" -lt 65536 ] && echo met || echo MISSED)"
  grep -E "Elapsed|User time|System time" "$DIR/time.txt" | sed 's/^\s*/  /'
}
