#!/usr/bin/env bash
# Peak RSS of the daemon under a steady writer of small transactions, long enough for
# level 1 compactions of thousands of L0 files (one per daemon pass).
#
#   cargo build --release -p litestream && bash benches/memory_busy.sh      # 70 s of writes
#   bash benches/memory_busy.sh 40                                          # shorter
#
# Needs `sqlite3`, `python3` (its sqlite3 module is the writer) and GNU time.
# What it does: starts `/usr/bin/time -v litestream replicate DB file://REPLICA`, runs a
# Python writer doing single-row INSERT/UPDATE/DELETE transactions flat out for SECONDS
# (default 70: the default level 1 interval is 30 s, so at least two compactions run),
# stops the daemon with SIGTERM, prints its peak RSS and the L0/L1 file counts, and checks
# that a restore equals the source (`.sha3sum`). Target: < 64 MiB, as for one large
# transaction (benches/memory.sh): memory is bounded by configuration, not write rate.
set -euo pipefail

SECS="${1:-70}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/litestream"
[ -x "$BIN" ] || { echo "build first: cargo build --release -p litestream ($BIN missing)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: apt-get install -y sqlite3" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 missing: apt-get install -y python3" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install -y time" >&2; exit 1; }

source "$ROOT/benches/support/timed_daemon.sh"
timed_daemon_dir ls-mem-busy

DB="$DIR/app.db"
sqlite3 "$DB" 'PRAGMA journal_mode=wal; CREATE TABLE w(id INTEGER PRIMARY KEY, v TEXT, n INT);' >/dev/null
timed_daemon_start "$DB"

python3 - "$DB" "$SECS" <<'PY'
import os, random, sqlite3, sys, time
db, secs = sys.argv[1], float(sys.argv[2])
c = sqlite3.connect(db, isolation_level=None, timeout=10)
c.execute("PRAGMA busy_timeout=10000")
end, n = time.time() + secs, 0
while time.time() < end:
    c.execute("BEGIN IMMEDIATE")
    r = random.random()
    if r < 0.7 or n < 100:
        c.execute("INSERT INTO w(v, n) VALUES (?, ?)", (os.urandom(50).hex(), n))
    elif r < 0.9:
        c.execute("UPDATE w SET n = n + 1 WHERE id = abs(random()) % (SELECT max(id) FROM w) + 1")
    else:
        c.execute("DELETE FROM w WHERE id = abs(random()) % (SELECT max(id) FROM w) + 1")
    c.execute("COMMIT")
    n += 1
print(f"writer: {n} transactions in {secs:.0f} s ({n / secs:.0f}/s)")
PY

sleep 3
L0=$(ls "$DIR/.app.db-litestream/ltx/0" | grep -c '\.ltx$' || true)
L1=$(ls "$DIR/replica/ltx/1" 2>/dev/null | grep -c '\.ltx$' || true)
echo "local L0 files: $L0; replica level 1 files: $L1"
timed_daemon_stop
"$BIN" restore -o "$DIR/restored.db" "file://$DIR/replica" 2>&1 | tail -1
src=$(sqlite3 "$DB" .sha3sum)
got=$(sqlite3 "$DIR/restored.db" .sha3sum)
echo "restore: $([ "$src" = "$got" ] && echo "equals the source" || echo "DIFFERS: $src vs $got")"
