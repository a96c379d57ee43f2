#!/usr/bin/env bash
# Issue 6: the national-scale CPS directory served by OpenLDAP slapd (Debian's, mdb backend) and
# by santepki's LDAP server, both queried with the R44 filter `(cn=<idNat_PS>)` for random
# professionals by N concurrent clients. Results go in docs/benchmarks.md.
#
#   scripts/bench-ldap.sh                 # everything: install, schema, export, slapadd, runs
#   CLIENTS=1,4,16 DURATION=20s scripts/bench-ldap.sh
#   SKIP_LOAD=1 scripts/bench-ldap.sh     # reuse bench-data/ldap/ (LDIF, and the slapd database if loaded)
#   SERVERS=santepki APPEND=1 SKIP_LOAD=1 scripts/bench-ldap.sh   # one server only, appending
#   WAIT_FOR=/tmp/file scripts/bench-ldap.sh  # wait for that file before the timed steps
#
# Needs the imported national directory (scripts/bench-directory.sh) at bench-data/work/national.db.
# Everything it writes is under bench-data/ldap/; the servers listen on 127.0.0.1 only and are
# stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DB=${DB:-$ROOT/bench-data/work/national.db}
DIR=$ROOT/bench-data/ldap
CLIENTS=${CLIENTS:-1,4,16}
DURATION=${DURATION:-20s}
SLAPD_PORT=${SLAPD_PORT:-3891}
SANTEPKI_PORT=${SANTEPKI_PORT:-3890}
OUT=$DIR/results.txt

[ -f "$DB" ] || { echo "no $DB: run scripts/bench-directory.sh first" >&2; exit 1; }
mkdir -p "$DIR"

# 1. slapd and the LDAP tools; Debian's own slapd service must not keep running on 389.
if ! command -v slapadd >/dev/null || ! command -v ldapsearch >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null
fi
if pgrep -x slapd >/dev/null && [ ! -f "$DIR/slapd.pid" ]; then
    service slapd stop >/dev/null 2>&1 || /etc/init.d/slapd stop >/dev/null 2>&1 || true
fi

cargo build --release -q -p santepki -p santepki-bench
BENCH=$ROOT/target/release/santepki-bench
SANTEPKI=$ROOT/target/release/santepki

# 2. A private slapd: the standard schemas, the CPS schema generated from santepki's own
#    (same OIDs and syntaxes), mdb with suffix c=fr, equality indexes on cn, uid, ou, objectClass.
"$BENCH" ldap-schema >"$DIR/cps.schema"
cat >"$DIR/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $DIR/cps.schema
pidfile $DIR/slapd.pid
argsfile $DIR/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
loglevel 0
# Like santepki's default size limit.
sizelimit 500
database mdb
suffix "c=fr"
rootdn "cn=admin,c=fr"
directory $DIR/mdb
maxsize 17179869184
index objectClass eq
index cn,uid,ou eq
EOF
mkdir -p "$DIR/mdb"
slaptest -u -f "$DIR/slapd.conf"

stop_pid() { # pid [signal]: signal (TERM), then wait for it to go
    local pid=$1
    kill "-${2:-TERM}" "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}
SLAPD_PID=
SANTEPKI_PID=
cleanup() {
    [ -n "$SLAPD_PID" ] && stop_pid "$SLAPD_PID"
    [ -n "$SANTEPKI_PID" ] && stop_pid "$SANTEPKI_PID"
    return 0
}
trap cleanup EXIT

# 3. The LDIF: santepki-ldap's own entry mapping over the same database (user attributes only:
#    slapd computes the operational ones), then slapadd -q into a fresh mdb.
if [ -z "${SKIP_LOAD:-}" ] || [ ! -f "$DIR/national.ldif" ]; then
    "$BENCH" ldap-export --database-url "sqlite://$DB" --out "$DIR/national.ldif" | tee "$DIR/export.txt"
fi
# Timed steps only on a quiet machine: WAIT_FOR=<file> waits for it first (e.g. a CI run ending).
if [ -n "${WAIT_FOR:-}" ]; then
    while [ ! -e "$WAIT_FOR" ]; do sleep 5; done
fi
if [ -z "${SKIP_LOAD:-}" ] || [ ! -f "$DIR/mdb/data.mdb" ]; then
    rm -rf "$DIR/mdb" && mkdir -p "$DIR/mdb"
    start=$(date +%s.%N)
    slapadd -q -f "$DIR/slapd.conf" -l "$DIR/national.ldif"
    end=$(date +%s.%N)
    echo "slapadd -q: $(echo "$end - $start" | bc) s, $(grep -c '^dn:' "$DIR/national.ldif") entries, mdb $(du -sh "$DIR/mdb" | cut -f1)" | tee "$DIR/slapadd.txt"
fi

peak() { # pid label: peak and current memory of a server
    local s=/proc/$1/status
    echo "$2 memory: VmHWM $(awk '/VmHWM/{print $2}' "$s") kB, RssAnon $(awk '/RssAnon/{print $2}' "$s") kB, RssFile $(awk '/RssFile/{print $2}' "$s") kB" | tee -a "$OUT"
}

port_free() { # port: fail if something already listens there (a stale server would be measured)
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        echo "something already listens on 127.0.0.1:$1: stop it first" >&2
        return 1
    fi
}

wait_port() {
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on $1" >&2
    return 1
}

[ -n "${APPEND:-}" ] || : >"$OUT"
echo "machine: $(nproc) cores, $(awk '/MemTotal/{print $2}' /proc/meminfo) kB, $(uname -r); clients $CLIENTS, $DURATION each" | tee -a "$OUT"

SERVERS=${SERVERS:-slapd,santepki}

# 4. slapd alone.
if [[ ",$SERVERS," == *,slapd,* ]]; then
port_free "$SLAPD_PORT"
slapd -f "$DIR/slapd.conf" -h "ldap://127.0.0.1:$SLAPD_PORT/"
wait_port "$SLAPD_PORT"
SLAPD_PID=$(cat "$DIR/slapd.pid")
ldapsearch -x -LLL -H "ldap://127.0.0.1:$SLAPD_PORT" -b o=GIP-CPS,c=fr -s one -z 1 dn 2>/dev/null | head -2 || true
"$BENCH" ldap-search --url "ldap://127.0.0.1:$SLAPD_PORT" --database-url "sqlite://$DB" --clients "$CLIENTS" --duration "$DURATION" | tee -a "$OUT"
peak "$SLAPD_PID" slapd
stop_pid "$SLAPD_PID"
SLAPD_PID=
fi

# 5. santepki alone, over the same database.
if [[ ",$SERVERS," == *,santepki,* ]]; then
port_free "$SANTEPKI_PORT"
SANTEPKI_DATABASE__URL="sqlite://$DB" SANTEPKI_LDAP__LISTEN="127.0.0.1:$SANTEPKI_PORT" SANTEPKI_HTTP__LISTEN=127.0.0.1:0 \
    "$SANTEPKI" serve >"$DIR/santepki.log" 2>&1 &
SANTEPKI_PID=$!
wait_port "$SANTEPKI_PORT"
"$BENCH" ldap-search --url "ldap://127.0.0.1:$SANTEPKI_PORT" --database-url "sqlite://$DB" --clients "$CLIENTS" --duration "$DURATION" | tee -a "$OUT"
peak "$SANTEPKI_PID" santepki
stop_pid "$SANTEPKI_PID"
SANTEPKI_PID=
fi
echo "results in $OUT"
