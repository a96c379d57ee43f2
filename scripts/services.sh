#!/usr/bin/env bash
# Start/stop the services the test suite needs: PostgreSQL and a SoftHSM2
# PKCS#11 token.
#
#   eval "$(scripts/services.sh start)"   # start if needed, then print exports
#   scripts/services.sh start softhsm     # only some services (postgres, softhsm)
#   scripts/services.sh stop              # stop the private cluster
#   scripts/services.sh status            # say whether they are ready
#
# `start` prints only shell `export` lines on stdout (all chatter goes to
# stderr) so that its output can be eval'ed.
#
# The cluster is PRIVATE to this checkout (not Debian's default service):
# data dir ${SANTEPKI_SERVICES_DIR:-<repo>/target/test-services}/pg, TCP only,
# 127.0.0.1:55432, tuned for speed (fsync off...) because test data is
# throwaway. `cargo clean` deletes it; the next `start` recreates it.
#
# The SoftHSM2 token is private too: its own softhsm2.conf and token directory
# under the same services directory (softhsm/), never the system-wide
# /etc/softhsm and /var/lib/softhsm. It is a library, not a server: "starting"
# it means making sure the token exists; there is nothing to stop.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

PG_HOST=127.0.0.1
PG_PORT=55432
PG_USER=santepki
PG_PASSWORD=santepki
PG_DB=santepki_test
PG_URL="postgres://$PG_USER:$PG_PASSWORD@$PG_HOST:$PG_PORT/$PG_DB"
READY_TIMEOUT=30 # seconds

# The SoftHSM2 test token. The PINs are test values, known to everyone: the
# token only ever holds throwaway test keys.
HSM_TOKEN_LABEL=santepki-test
HSM_USER_PIN=1234
HSM_SO_PIN=5678

log() { echo "services: $*" >&2; }
die() { echo "services: error: $*" >&2; exit 1; }

# --- where the cluster lives and who owns it --------------------------------

SERVICES_DIR=${SANTEPKI_SERVICES_DIR:-$REPO/target/test-services}
[[ "$SERVICES_DIR" == /* ]] || SERVICES_DIR="$PWD/$SERVICES_DIR"

# initdb/pg_ctl refuse to run as root, so as root the cluster belongs to the
# `postgres` system user (created by the postgresql package); otherwise it
# belongs to whoever runs this script.
as_owner() {
  if ((EUID == 0)); then
    # cd / : the caller's cwd may not be readable by postgres.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}
owner() { if ((EUID == 0)); then echo postgres; else id -un; fi; }

# The cluster owner must be able to reach the data dir. A checkout under e.g.
# /root (mode 700) is not reachable by `postgres`: then, unless the caller
# chose the directory, use a per-checkout directory under /tmp instead.
# (Called again after installing postgresql, which creates that user.)
resolve_dirs() {
  if [[ -z "${SANTEPKI_SERVICES_DIR:-}" ]] && ((EUID == 0)) && id postgres >/dev/null 2>&1 &&
    ! as_owner test -x "$REPO"; then
    SERVICES_DIR="/tmp/santepki-test-services-$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)"
    log "user postgres cannot reach $REPO; using $SERVICES_DIR"
  fi
  PG_DATA="$SERVICES_DIR/pg"
  PG_LOG="$SERVICES_DIR/pg.log"
  HSM_DIR="$SERVICES_DIR/softhsm"
  HSM_CONF="$HSM_DIR/softhsm2.conf"
  HSM_TOKENS="$HSM_DIR/tokens"
}
resolve_dirs

# --- PostgreSQL binaries -----------------------------------------------------

# Highest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl, or the
# one matching an existing data dir's PG_VERSION (a data dir only works with
# the major version that created it).
find_bindir() {
  local d found=""
  if [[ -f "$PG_DATA/PG_VERSION" ]]; then
    d="/usr/lib/postgresql/$(cat "$PG_DATA/PG_VERSION")/bin"
    [[ -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
  fi
  while read -r d; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && found=$d
  done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
  [[ -n "$found" ]] && echo "$found"
}

ensure_binaries() {
  if ! BINDIR=$(find_bindir); then
    if ((EUID == 0)); then
      log "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: installing the postgresql package with apt-get"
      "$REPO/scripts/install-deps.sh" postgresql postgresql-client
      resolve_dirs
      BINDIR=$(find_bindir) || die "postgresql installed but no /usr/lib/postgresql/*/bin/{initdb,pg_ctl} found"
    else
      die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install them as root: apt-get install postgresql (or run scripts/install-deps.sh as root)"
    fi
  fi
  if ((EUID == 0)) && ! id postgres >/dev/null 2>&1; then
    die "system user 'postgres' does not exist (it comes with the postgresql package)"
  fi
  if [[ -f "$PG_DATA/PG_VERSION" ]]; then
    local v
    v=$(cat "$PG_DATA/PG_VERSION")
    [[ "$BINDIR" == "/usr/lib/postgresql/$v/bin" ]] ||
      die "$PG_DATA was created by PostgreSQL $v but only $BINDIR is installed; delete it (rm -rf '$PG_DATA') and start again"
  fi
}

# --- probes --------------------------------------------------------------------

# Our cluster (the one in $PG_DATA) is running.
ours_running() {
  [[ -f "$PG_DATA/postmaster.pid" ]] &&
    as_owner "$BINDIR/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

# Something answers on the port (pg_isready: 0 = accepting, 1 = starting up).
port_answers() {
  local rc=0
  "$BINDIR/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -t 2 || rc=$?
  ((rc == 0 || rc == 1))
}

url_works() {
  PGCONNECT_TIMEOUT=5 "$BINDIR/psql" -X -A -t -q -d "$PG_URL" -c 'select 1' >/dev/null 2>&1
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$BINDIR/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -t 1; do
    if ((SECONDS >= deadline)); then
      [[ -f "$PG_LOG" ]] && { log "last lines of $PG_LOG:"; tail -n 20 "$PG_LOG" >&2; }
      die "PostgreSQL not ready on $PG_HOST:$PG_PORT after ${READY_TIMEOUT}s"
    fi
    sleep 0.5
  done
}

# PID of a postmaster still running from $PG_DATA after that directory was
# deleted (e.g. `cargo clean` or `rm -rf target` while it ran). Such a server
# cannot serve connections any more, and pg_ctl cannot stop it (its pid file is
# gone). It is recognised by its working directory, which the kernel shows as
# "<data dir> (deleted)", and by its parent not sharing it (backends do).
orphan_postmaster() {
  local p cwd ppid
  for p in /proc/[0-9]*; do
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    [[ "$cwd" == "$PG_DATA (deleted)" && "$(cat "$p/comm" 2>/dev/null)" == postgres ]] || continue
    ppid=$(awk '{print $4}' "$p/stat" 2>/dev/null) || continue
    [[ "$(readlink "/proc/$ppid/cwd" 2>/dev/null)" == "$PG_DATA (deleted)" ]] && continue
    echo "${p#/proc/}"
    return 0
  done
  return 1
}

# Stop such an orphan by its PID (SIGINT = fast shutdown), if there is one.
stop_orphan() {
  local pid i
  pid=$(orphan_postmaster) || return 0
  log "stopping PostgreSQL pid $pid, whose data dir $PG_DATA was deleted while it ran"
  kill -INT "$pid" 2>/dev/null || true
  for ((i = 0; i < 20 * READY_TIMEOUT; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  die "PostgreSQL pid $pid did not stop"
}

# --- setting up the cluster ------------------------------------------------

# Write a file (from stdin) inside the data dir, owned by the cluster owner.
write_owned() {
  cat >"$1"
  chown "$(owner)": "$1"
  chmod 600 "$1"
}

prepare_dirs() {
  mkdir -p "$SERVICES_DIR"
  as_owner test -x "$SERVICES_DIR" ||
    die "user $(owner) cannot access $SERVICES_DIR (a parent directory is not searchable by it); set SANTEPKI_SERVICES_DIR to a directory it can reach"
  touch "$PG_LOG"
  chown "$(owner)": "$PG_LOG"
}

init_cluster() {
  local locale_args=(--locale=C.UTF-8 --encoding=UTF8)
  locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' || locale_args=(--locale=C --encoding=UTF8)

  # A data dir without PG_VERSION is a half-done initdb: start over.
  [[ -e "$PG_DATA" ]] && { log "removing incomplete data dir $PG_DATA"; rm -rf "$PG_DATA"; }
  mkdir -m 700 "$PG_DATA"
  chown "$(owner)": "$PG_DATA"

  log "initdb $PG_DATA ($("$BINDIR/postgres" --version)), output in $PG_LOG"
  # -U postgres: same bootstrap superuser name whoever runs this.
  # --no-sync: fsync is off anyway, no point waiting for the disk here.
  as_owner "$BINDIR/initdb" -D "$PG_DATA" -U postgres "${locale_args[@]}" \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >>"$PG_LOG"
  # Our settings live in santepki.conf (rewritten on each start); included
  # last so they override the defaults above them.
  echo "include 'santepki.conf'" >>"$PG_DATA/postgresql.conf"
}

# Rewritten on every start so that changes to this script reach existing
# clusters.
write_config() {
  write_owned "$PG_DATA/santepki.conf" <<CONF
# Written by scripts/services.sh on every start: edit the script, not this.
listen_addresses = '$PG_HOST'
port = $PG_PORT
# TCP only: no socket in /var/run/postgresql to clash with the distro's.
unix_socket_directories = ''
max_connections = 200
shared_buffers = 256MB
# Throwaway test data: trade crash safety for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  # The bootstrap superuser `postgres` needs no password (it only creates the
  # santepki role); everyone else, including santepki, must give a password so
  # that the tests really exercise the credentials in the URL.
  write_owned "$PG_DATA/pg_hba.conf" <<HBA
# Written by scripts/services.sh on every start: edit the script, not this.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       all                      trust
host    all       postgres  $PG_HOST/32   trust
host    all       all       $PG_HOST/32   scram-sha-256
HBA
}

start_server() {
  log "starting PostgreSQL on $PG_HOST:$PG_PORT (data $PG_DATA, log $PG_LOG)"
  if ! as_owner "$BINDIR/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$READY_TIMEOUT" >&2; then
    log "last lines of $PG_LOG:"
    tail -n 20 "$PG_LOG" >&2
    die "pg_ctl start failed"
  fi
}

# Idempotent: (re)creates the santepki role and database if missing, e.g.
# after a test dropped them.
ensure_role_and_db() {
  "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres >&2 <<SQL
SET client_min_messages = warning;
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_USER ENCODING ''UTF8'''
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB') \gexec
SQL
}

print_exports() {
  printf "export SANTEPKI_TEST_POSTGRES_URL='%s'\n" "$PG_URL"
}

# --- SoftHSM2 ----------------------------------------------------------------

# The PKCS#11 module the tests load. Debian ships it at /usr/lib/softhsm (a
# link into the multiarch directory).
HSM_MODULE_CANDIDATES=(/usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so)

find_hsm_module() {
  local m
  for m in "${HSM_MODULE_CANDIDATES[@]}"; do
    [[ -f "$m" ]] && { echo "$m"; return 0; }
  done
  return 1
}

ensure_softhsm() {
  if ! command -v softhsm2-util >/dev/null 2>&1 || ! HSM_MODULE=$(find_hsm_module); then
    if ((EUID == 0)); then
      log "SoftHSM2 not found: installing the softhsm2 package with apt-get"
      "$REPO/scripts/install-deps.sh" softhsm2
      command -v softhsm2-util >/dev/null 2>&1 || die "softhsm2 installed but softhsm2-util is not on PATH"
      HSM_MODULE=$(find_hsm_module) || die "softhsm2 installed but no libsofthsm2.so found (looked for ${HSM_MODULE_CANDIDATES[*]})"
    else
      die "SoftHSM2 not found (softhsm2-util, /usr/lib/softhsm/libsofthsm2.so); install it as root: apt-get install softhsm2 (or run scripts/install-deps.sh as root)"
    fi
  fi
}

# softhsm2-util and the module, under our configuration only.
hsm_util() { SOFTHSM2_CONF="$HSM_CONF" softhsm2-util "$@"; }

# Our token is initialised (softhsm2-util pads the label with spaces).
hsm_token_exists() {
  [[ -f "$HSM_CONF" ]] &&
    hsm_util --show-slots 2>/dev/null | grep -qE "^[[:space:]]*Label:[[:space:]]+$HSM_TOKEN_LABEL[[:space:]]*\$"
}

# Rewritten on every start, like PostgreSQL's santepki.conf, so that changes
# to this script reach existing token directories. Tokens are files (not the
# sqlite backend) and errors only go to syslog.
write_hsm_config() {
  mkdir -p "$HSM_TOKENS"
  chmod 700 "$HSM_DIR" "$HSM_TOKENS"
  cat >"$HSM_CONF" <<CONF
# Written by scripts/services.sh on every start: edit the script, not this.
directories.tokendir = $HSM_TOKENS
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
}

start_softhsm() {
  ensure_softhsm
  write_hsm_config
  if hsm_token_exists; then
    log "SoftHSM2 token '$HSM_TOKEN_LABEL' ready ($HSM_TOKENS)"
  else
    log "initialising SoftHSM2 token '$HSM_TOKEN_LABEL' in $HSM_TOKENS"
    local out
    out=$(hsm_util --init-token --free --label "$HSM_TOKEN_LABEL" --pin "$HSM_USER_PIN" --so-pin "$HSM_SO_PIN" 2>&1) ||
      die "softhsm2-util --init-token failed: $out"
    hsm_token_exists || die "token '$HSM_TOKEN_LABEL' not found after softhsm2-util --init-token"
  fi
  printf "export SOFTHSM2_CONF='%s'\n" "$HSM_CONF"
  printf "export SANTEPKI_TEST_PKCS11_MODULE='%s'\n" "$HSM_MODULE"
  printf "export SANTEPKI_TEST_PKCS11_TOKEN='%s'\n" "$HSM_TOKEN_LABEL"
  printf "export SANTEPKI_TEST_PKCS11_PIN='%s'\n" "$HSM_USER_PIN"
}

status_softhsm() {
  local module
  command -v softhsm2-util >/dev/null 2>&1 && module=$(find_hsm_module) || die "no SoftHSM2 (softhsm2-util, libsofthsm2.so)"
  if hsm_token_exists; then
    log "SoftHSM2 token '$HSM_TOKEN_LABEL' ready: SOFTHSM2_CONF=$HSM_CONF, module $module"
  else
    log "SoftHSM2 token '$HSM_TOKEN_LABEL' not initialised ($HSM_CONF)"
    return 3
  fi
}

# --- subcommands -----------------------------------------------------------

start_postgres() {
  ensure_binaries
  stop_orphan
  if ours_running; then
    log "PostgreSQL already running ($PG_DATA, port $PG_PORT)"
  elif port_answers; then
    # Not ours, but a PostgreSQL is there: another checkout's cluster (e.g. a
    # CI clone on a developer machine), or ours whose data dir was deleted
    # while it ran. Fine if our URL works on it; otherwise refuse.
    wait_ready
    url_works ||
      die "port $PG_PORT on $PG_HOST is used by a server that does not accept $PG_URL; stop it (see: ss -ltnp 'sport = :$PG_PORT')"
    log "warning: reusing the PostgreSQL already on $PG_HOST:$PG_PORT, not started from $PG_DATA"
    print_exports
    return 0
  else
    prepare_dirs
    [[ -f "$PG_DATA/PG_VERSION" ]] || init_cluster
    write_config
    start_server
  fi
  wait_ready
  ensure_role_and_db
  url_works || die "PostgreSQL is up but $PG_URL does not work"
  print_exports
}

cmd_stop() {
  if ! BINDIR=$(find_bindir); then
    log "no PostgreSQL binaries: nothing to stop"
    return 0
  fi
  if ours_running; then
    log "stopping PostgreSQL ($PG_DATA)"
    as_owner "$BINDIR/pg_ctl" stop -D "$PG_DATA" -m fast -w -t "$READY_TIMEOUT" >&2
  else
    log "PostgreSQL from $PG_DATA is not running"
    stop_orphan
    if port_answers; then
      log "note: another server still answers on $PG_HOST:$PG_PORT (not started from $PG_DATA; see: ss -ltnp 'sport = :$PG_PORT')"
    fi
  fi
}

status_postgres() {
  BINDIR=$(find_bindir) || die "no PostgreSQL binaries"
  if ours_running; then
    log "running: $PG_URL (data $PG_DATA)"
  elif port_answers; then
    log "not running from $PG_DATA, but another server answers on $PG_HOST:$PG_PORT"
    return 1
  else
    log "not running"
    return 3
  fi
}

# The services named on the command line (default: all of them), checked.
ALL_SERVICES=(postgres softhsm)
select_services() {
  local s
  SERVICES=("$@")
  ((${#SERVICES[@]} > 0)) || SERVICES=("${ALL_SERVICES[@]}")
  for s in "${SERVICES[@]}"; do
    [[ " ${ALL_SERVICES[*]} " == *" $s "* ]] || die "unknown service '$s' (known: ${ALL_SERVICES[*]})"
  done
}

cmd_start() {
  local s
  select_services "$@"
  for s in "${SERVICES[@]}"; do
    case $s in
      postgres) start_postgres ;;
      softhsm) start_softhsm ;;
    esac
  done
}

# Exit status: 0 when every selected service is ready, otherwise that of the
# first one that is not. Each check runs in a subshell so that one failing
# (die) still lets the others report.
cmd_status() {
  local s rc=0 one
  select_services "$@"
  for s in "${SERVICES[@]}"; do
    one=0
    case $s in
      postgres) (status_postgres) || one=$? ;;
      softhsm) (status_softhsm) || one=$? ;;
    esac
    ((rc != 0)) || rc=$one
  done
  return "$rc"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) shift; cmd_status "$@" ;;
  *) die "usage: $0 start|status [postgres|softhsm]... | stop" ;;
esac
