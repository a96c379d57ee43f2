#!/usr/bin/env bash
# A santepki cluster on one machine, for the failover drills of docs/operations.md:
# etcd, two PostgreSQL instances managed by Patroni (synchronous replication), HAProxy in front
# of the current primary, and santepki nodes on loopback ports.
#
#   scripts/cluster.sh up       start everything (state in $CLUSTER_DIR, default /tmp/santepki-cluster)
#   scripts/cluster.sh drill    issuance under load; kill -9 of a santepki node, then of the
#                               PostgreSQL primary; report acknowledged writes, lost writes,
#                               duplicates and the time without writes
#   scripts/cluster.sh down     stop everything and remove the state
#
# Needs the Debian packages patroni, etcd-server, haproxy, postgresql (scripts/install-deps.sh
# patroni etcd-server haproxy) and a built santepki (target/release or target/debug). Patroni and
# PostgreSQL run as the `postgres` user (PostgreSQL refuses root).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${CLUSTER_DIR:-/tmp/santepki-cluster}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
SANTEPKI=${SANTEPKI:-$( [[ -x $REPO/target/release/santepki ]] && echo "$REPO/target/release/santepki" || echo "$REPO/target/debug/santepki")}
PG_PASSWORD=cluster-superuser
DB_URL="postgres://postgres:$PG_PASSWORD@127.0.0.1:5440/santepki"
NODES=(18081 18082 18083)

log() { echo "cluster: $*" >&2; }

patroni_config() { # name restapi-port pg-port
  cat <<YAML
scope: santepki
name: $1
restapi:
  listen: 127.0.0.1:$2
  connect_address: 127.0.0.1:$2
etcd3:
  host: 127.0.0.1:2379
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_log_hints: "on"
  initdb:
    - encoding: UTF8
    - data-checksums
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 md5
    - host all all 127.0.0.1/32 md5
postgresql:
  listen: 127.0.0.1:$3
  connect_address: 127.0.0.1:$3
  data_dir: $DIR/$1/data
  bin_dir: $PGBIN
  pgpass: $DIR/$1/pgpass
  authentication:
    replication: {username: replicator, password: cluster-replication}
    superuser: {username: postgres, password: $PG_PASSWORD}
  parameters:
    unix_socket_directories: '$DIR/$1'
YAML
}

haproxy_config() {
  cat <<CFG
global
  maxconn 200
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
listen primary
  bind 127.0.0.1:5440
  option httpchk OPTIONS /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
  server pg1 127.0.0.1:5441 maxconn 100 check port 8008
  server pg2 127.0.0.1:5442 maxconn 100 check port 8009
CFG
}

wait_for() { # what seconds command...
  local what=$1 limit=$2; shift 2
  for _ in $(seq 1 $((limit * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$what did not happen within ${limit}s"; return 1
}

create_database() {
  local q=(env PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p 5440 -U postgres -tA)
  [[ $("${q[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'santepki'") == 1 ]] || "${q[@]}" -c 'CREATE DATABASE santepki'
}


# The environment every santepki process of the cluster shares.
node_env=()
set_node_env() {
  node_env=(SANTEPKI_DATABASE__URL="$DB_URL" SANTEPKI_CA__KEY_DIR="$DIR/ca-keys"
    SANTEPKI_CA__KEY_PASSPHRASE=cluster-passphrase SANTEPKI_CA__KEY_ALGORITHM=p256
    SANTEPKI_DIRECTORY__IDENTIFIERS=test SANTEPKI_LOG=warn SANTEPKI_HTTP__PUBLIC_URL=http://127.0.0.1:18081)
}
set_node_env

santepki_env() {
  env "${node_env[@]}" "$@"
}

start_node() { # port; each node in its own folder (its own TLS certificate for the card listener)
  mkdir -p "$DIR/node-$1"
  (cd "$DIR/node-$1" && exec env "${node_env[@]}" SANTEPKI_HTTP__LISTEN="127.0.0.1:$1" \
    SANTEPKI_LDAP__LISTEN=127.0.0.1:0 SANTEPKI_PORTAL__LISTEN=127.0.0.1:0 "$SANTEPKI" serve) >"$DIR/node-$1.log" 2>&1 &
  echo $! >"$DIR/node-$1.pid"
}

up() {
  mkdir -p "$DIR" && chmod 0755 "$DIR"
  log "etcd"
  etcd --name cluster --data-dir "$DIR/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 >"$DIR/etcd.log" 2>&1 &
  echo $! >"$DIR/etcd.pid"
  wait_for etcd 20 curl -sf http://127.0.0.1:2379/health
  for n in 1 2; do
    mkdir -p "$DIR/pg$n" && chown postgres: "$DIR/pg$n" && chmod 0700 "$DIR/pg$n"
    patroni_config "pg$n" $((8007 + n)) $((5440 + n)) >"$DIR/pg$n.yml"
    chown postgres: "$DIR/pg$n.yml"
    log "patroni pg$n"
    runuser -u postgres -- patroni "$DIR/pg$n.yml" >"$DIR/pg$n.log" 2>&1 &
    echo $! >"$DIR/pg$n.pid"
    [[ $n == 1 ]] && wait_for "pg1 primary" 60 curl -sf http://127.0.0.1:8008/primary
  done
  wait_for "pg2 replica" 90 curl -sf http://127.0.0.1:8009/replica
  haproxy_config >"$DIR/haproxy.cfg"
  haproxy -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 &
  echo $! >"$DIR/haproxy.pid"
  wait_for haproxy 20 env PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p 5440 -U postgres -c 'SELECT 1'
  # The first statements may wait for the synchronous standby to be confirmed: retried.
  wait_for "the santepki database" 60 create_database
  log "santepki: directory and CA"
  santepki_env "$SANTEPKI" directory generate --out "$DIR/directory" >/dev/null 2>&1
  santepki_env "$SANTEPKI" directory import "$DIR/directory" --quiet >/dev/null
  santepki_env "$SANTEPKI" ca init >/dev/null
  for p in "${NODES[@]}"; do start_node "$p"; done
  for p in "${NODES[@]}"; do wait_for "node $p" 60 curl -sf "http://127.0.0.1:$p/readyz"; done
  log "up: HAProxy 127.0.0.1:5440, Patroni REST 8008/8009, santepki nodes ${NODES[*]}"
}

down() {
  for f in "$DIR"/node-*.pid "$DIR"/haproxy.pid "$DIR"/pg2.pid "$DIR"/pg1.pid "$DIR"/etcd.pid; do
    [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 3
  pkill -9 -f "patroni $DIR" 2>/dev/null || true
  pkill -9 -f "$DIR/pg[12]/data" 2>/dev/null || true
  pkill -9 -f "etcd --name cluster" 2>/dev/null || true
  rm -rf "$DIR"
}

# Issues certificates one after another for `seconds`, as `santepki ca issue` through HAProxy;
# writes "time ok serial" or "time fail" lines.
load() { # seconds out
  local until=$(( $(date +%s) + $1 )) n=0 out t
  mkdir -p "$DIR/load"
  while (( $(date +%s) < until )); do
    n=$((n + 1))
    # A new key each time: one live certificate per key (R37).
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=x \
      -out "$DIR/load/$n.csr" 2>/dev/null
    t=$(date +%s.%N)
    if out=$(santepki_env "$SANTEPKI" ca issue --profile org-auth-cli --structure 1060785011 --service "LOAD $n" \
          --csr "$DIR/load/$n.csr" 2>&1 >/dev/null </dev/null); then
      echo "$t ok $(sed -n 's/^issued \([0-9a-f]*\) .*/\1/p' <<<"$out")" >>"$2"
    else
      echo "$t fail $(head -c 120 <<<"$out" | tr '\n' ' ')" >>"$2"
    fi
  done
}

report() { # label file
  local acked lost dup gap
  acked=$(awk '$2=="ok"{print $3}' "$2" | sort)
  local n; n=$(grep -c . <<<"$acked" || true)
  local list; list=$(sed "s/.*/'&'/" <<<"$acked" | paste -sd,)
  local found; found=$(PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p 5440 -U postgres -d santepki -tAc \
    "SELECT COUNT(*) FROM ca_certificates WHERE status = 'issued' AND serial IN ($list)")
  dup=$(PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p 5440 -U postgres -d santepki -tAc \
    "SELECT COUNT(*) FROM (SELECT serial FROM ca_certificates GROUP BY serial HAVING COUNT(*) > 1) d")
  local pending; pending=$(PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p 5440 -U postgres -d santepki -tAc \
    "SELECT COUNT(*) FROM ca_certificates WHERE status = 'pending'")
  gap=$(awk '$2=="ok"{ if (last && $1-last > max) max=$1-last; last=$1 } END { printf "%.1f", max }' "$2")
  local fails; fails=$(grep -c ' fail' "$2" || true)
  printf '%-28s requests %4d  acknowledged %4d  found afterwards %4d  duplicates %s  pending %s  errors seen %3d  longest time without a write %5s s\n' \
    "$1" "$(wc -l <"$2")" "$n" "$found" "$dup" "$pending" "$fails" "$gap"
}

# Reads for `seconds` from the santepki nodes, each request to the next node, and on an error
# once more to the one after (what a client or a load balancer does); "time ok|fail" lines.
reads() { # seconds out
  local until=$(( $(date +%s) + $1 )) i=0 port
  while (( $(date +%s) < until )); do
    i=$((i + 1))
    port=${NODES[$((i % ${#NODES[@]}))]}
    local url=/api/v1/directory/professionals/99700270616
    if curl -sf -m 2 -o /dev/null "http://127.0.0.1:$port$url" \
       || curl -sf -m 2 -o /dev/null "http://127.0.0.1:${NODES[$(((i + 1) % ${#NODES[@]}))]}$url"; then
      echo "$(date +%s.%N) ok" >>"$2"
    else
      echo "$(date +%s.%N) fail" >>"$2"
    fi
  done
}

primary() { curl -sf http://127.0.0.1:8008/primary >/dev/null && echo pg1 || echo pg2; }

drill() {
  for port in "${NODES[@]}"; do
    if ! kill -0 "$(cat "$DIR/node-$port.pid" 2>/dev/null)" 2>/dev/null; then start_node "$port"; fi
    wait_for "node $port" 60 curl -sf "http://127.0.0.1:$port/readyz"
  done
  log "drill 1: kill -9 of a santepki node under load (reads through the nodes, writes through HAProxy)"
  : >"$DIR/drill1-reads.txt"; : >"$DIR/drill1.txt"
  reads 20 "$DIR/drill1-reads.txt" & local r=$!
  load 20 "$DIR/drill1.txt" & local w=$!
  sleep 5
  kill -9 "$(cat "$DIR/node-${NODES[1]}.pid")"
  wait $r $w
  printf '%-28s requests %4d  errors seen after one retry on another node %d\n' "reads through the nodes" \
    "$(wc -l <"$DIR/drill1-reads.txt")" "$(grep -c fail "$DIR/drill1-reads.txt" || true)"
  report "writes meanwhile" "$DIR/drill1.txt"
  start_node "${NODES[1]}"

  log "drill 2: kill -9 of the primary's postmaster under load (Patroni restarts it)"
  : >"$DIR/drill2.txt"
  load 30 "$DIR/drill2.txt" & w=$!
  sleep 5
  local p; p=$(primary)
  kill -9 "$(head -1 "$DIR/$p/data/postmaster.pid")"
  wait $w
  report "kill -9 of the postmaster" "$DIR/drill2.txt"

  log "drill 3: loss of the primary's machine (kill -9 of its Patroni and PostgreSQL) under load"
  : >"$DIR/drill3.txt"
  load 60 "$DIR/drill3.txt" & w=$!
  sleep 5
  p=$(primary)
  # Patroni itself (runuser's child), then every PostgreSQL process of the instance.
  pkill -9 -f "patroni $DIR/$p.yml" || true
  pkill -9 -f "$DIR/$p/data" || true
  log "killed $p; waiting for the standby's promotion"
  wait $w
  report "loss of the primary" "$DIR/drill3.txt"
  log "primary now: $(primary); restarting $p as a replica"
  runuser -u postgres -- patroni "$DIR/$p.yml" >>"$DIR/$p.log" 2>&1 &
  echo $! >"$DIR/$p.pid"
  wait_for "$p back as a replica" 120 curl -sf "http://127.0.0.1:$([[ $p == pg1 ]] && echo 8008 || echo 8009)/replica"

  log "drill 4: planned switchover under load"
  : >"$DIR/drill4.txt"
  load 30 "$DIR/drill4.txt" & w=$!
  sleep 5
  p=$(primary)
  local other; other=$([[ $p == pg1 ]] && echo pg2 || echo pg1)
  patronictl -c "$DIR/$p.yml" switchover --leader "$p" --candidate "$other" --force >/dev/null
  wait $w
  report "switchover $p -> $other" "$DIR/drill4.txt"
}

case "${1:-}" in
  up) up ;;
  drill) drill ;;
  down) down ;;
  *) echo "usage: $0 up|drill|down" >&2; exit 2 ;;
esac
