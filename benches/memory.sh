#!/usr/bin/env bash
# Peak RSS of the daemon while it replicates one large transaction (default 1 GiB).
#
#   cargo build --release -p litestream && bash benches/memory.sh          # 1024 MiB
#   bash benches/memory.sh 256                                              # smaller
#   VERIFY=1 bash benches/memory.sh                                         # + restore check
#
# Needs `sqlite3` and GNU time (`/usr/bin/time`; `apt-get install -y sqlite3 time`).
# Uses CARGO_TARGET_DIR (default ./target) to find release/litestream, and ~4x SIZE of
# free disk under $TMPDIR (WAL, database, local LTX file, replica file).
#
# What it does: creates a WAL-mode database, starts
# `/usr/bin/time -v litestream replicate DB file://REPLICA`, writes SIZE rows of 1 MiB of
# random bytes in ONE transaction with the sqlite3 command, waits until the replica holds
# an L0 file whose page count covers the whole database, stops the daemon with SIGTERM
# (graceful shutdown) and prints GNU time's "Maximum resident set size". Target: < 64 MiB.
# With VERIFY=1 it then restores the replica and compares `.sha3sum`, page count and
# `PRAGMA integrity_check` with the source (at 1 GiB the database spans SQLite's lock
# page, so this also checks lock-page handling end to end).
set -euo pipefail

SIZE_MB="${1:-1024}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/litestream"
[ -x "$BIN" ] || { echo "build first: cargo build --release -p litestream ($BIN missing)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: apt-get install -y sqlite3" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install -y time" >&2; exit 1; }

source "$ROOT/benches/support/timed_daemon.sh"
timed_daemon_dir ls-mem

DB="$DIR/app.db"
sqlite3 "$DB" 'PRAGMA journal_mode=wal; CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB);' >/dev/null
timed_daemon_start "$DB"

start=$(date +%s.%N)
sqlite3 "$DB" ".timeout 10000" "BEGIN;" \
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < $SIZE_MB)
   INSERT INTO big(id, b) SELECT x, randomblob(1048576) FROM c;" "COMMIT;"
written=$(date +%s.%N)
PAGES=$(sqlite3 "$DB" ".timeout 10000" "PRAGMA page_count;")
echo "wrote $SIZE_MB MiB in one transaction in $(echo "$written - $start" | bc) s; database has $PAGES pages"

# Wait for an L0 file in the replica whose header commit (page count) equals PAGES.
commit_of() { od -An -tu1 -j12 -N4 "$1" | awk '{print ($1*16777216)+($2*65536)+($3*256)+$4}'; }
done=""
for _ in $(seq 1200); do
  for f in $(ls "$DIR/replica/ltx/0/" 2>/dev/null | grep '\.ltx$' | sort -r | head -3); do
    if [ "$(commit_of "$DIR/replica/ltx/0/$f")" -ge "$PAGES" ]; then done="$f"; break; fi
  done
  [ -n "$done" ] && break
  sleep 0.5
done
[ -n "$done" ] || { echo "replica never caught up" >&2; tail "$DIR/daemon.log" >&2; exit 1; }
replicated=$(date +%s.%N)
echo "replica caught up (file $done) within $(echo "$replicated - $written" | bc) s of the commit; L0 files:"
ls -l "$DIR/replica/ltx/0/" | awk 'NR>1 {print "  " $5 "\t" $9}'

sleep 2 # let the checkpoint after the big pass run too
timed_daemon_stop

if [ -n "${VERIFY:-}" ]; then
  "$BIN" restore -o "$DIR/restored.db" "file://$DIR/replica" 2>&1 | tail -1
  for f in "$DB" "$DIR/restored.db"; do
    echo "  $(basename "$f"): sha3 $(sqlite3 "$f" .sha3sum) pages $(sqlite3 "$f" 'PRAGMA page_count;') integrity $(sqlite3 "$f" 'PRAGMA integrity_check;')"
  done
fi
