#!/usr/bin/env bash
# Certificate authority benchmarks recorded in docs/benchmarks.md ("Certificate authority"), each
# run side by side with OpenSSL on this machine:
#   1. issuance from CSRs, software backend, CA key RSA 4096, end to end through Authority::issue
#      with SQLite persistence, at concurrency 1 and 2, against `openssl speed rsa4096` and
#      `openssl speed -multi 2 rsa4096` (target: at least 80 % of the raw signing rate);
#   2. OCSP: `santepki serve` against `openssl ocsp -index …` serving the same issuing CA and the
#      same certificates (and `-multi 2`), both loaded by wrk with the same random GET requests
#      (targets: 50x openssl's throughput, p99 under 5 ms);
#   3. a full CRL of 1,000,000 revoked certificates: publish_crl end to end and crl::build
#      (target: under 5 s).
#
#   scripts/bench-ca.sh              # everything (about 10 minutes), summary at the end
#   scripts/bench-ca.sh issue ocsp   # some parts only
#   COUNT=2000 OCSP_CERTS=10000 CONNECTIONS=16 DURATION=30s CRL_ENTRIES=1000000 CRL_RUNS=5 scripts/bench-ca.sh
#
# Everything it writes is under bench-data/ca/ (WORK=… to change); servers listen on 127.0.0.1
# only and are stopped at the end. Installs wrk (Debian package) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${WORK:-$ROOT/bench-data/ca}
COUNT=${COUNT:-2000}
OCSP_CERTS=${OCSP_CERTS:-10000}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-30s}
CRL_ENTRIES=${CRL_ENTRIES:-1000000}
CRL_RUNS=${CRL_RUNS:-5}
SPEED_SECONDS=${SPEED_SECONDS:-10}
SANTEPKI_PORT=${SANTEPKI_PORT:-8480}
OPENSSL_PORT=${OPENSSL_PORT:-8481}
PARTS=${*:-issue ocsp crl}
OUT=$WORK/results.txt
mkdir -p "$WORK"
: >"$OUT"

if ! command -v wrk >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
command -v openssl >/dev/null || { echo "openssl is needed" >&2; exit 1; }

cargo build --release -q -p santepki -p santepki-bench
BENCH=$ROOT/target/release/santepki-bench
SANTEPKI=$ROOT/target/release/santepki

log() { echo "$@" | tee -a "$OUT"; }

log "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/{print $2}' /proc/meminfo) kB, Linux $(uname -r)"
log "== $(openssl version); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $(date -u +%FT%TZ)"
log "== load before: $(cut -d' ' -f1-3 /proc/loadavg); busiest processes:"
ps -eo pid,ni,pcpu,etime,comm --sort=-pcpu | head -6 | tee -a "$OUT"

stop_pid() { # pid: TERM, then wait for it (and its children) to go
    local pid=$1 kids
    kids=$(pgrep -P "$pid" || true)
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    for k in $kids; do kill -9 "$k" 2>/dev/null || true; done
    wait "$pid" 2>/dev/null || true
}
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"; return 0; }
trap cleanup EXIT

port_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        echo "something already listens on 127.0.0.1:$1: stop it first" >&2
        return 1
    fi
}
wait_url() { # url: until it answers. A real request: an empty connection or a malformed request
    # stops `openssl ocsp` (see ocsp.lua; without -ignore_err it exits on a bad request).
    for _ in $(seq 300); do
        curl -s -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing answers at $1" >&2
    return 1
}

speed() { # extra openssl speed options: sign/s of the last "rsa 4096 bits" line
    openssl speed -seconds "$SPEED_SECONDS" "$@" rsa4096 2>/dev/null | awk '/^rsa 4096 bits/{v=$6} END{print v}'
}

# 1. Issuance.
if [[ " $PARTS " == *" issue "* ]]; then
    log "== 1. issuance (RSA 4096 CA key, software backend, SQLite), $COUNT certificates per run"
    SPEED1=$(speed)
    SPEED2=$(speed -multi 2)
    log "openssl speed rsa4096: $SPEED1 sign/s; openssl speed -multi 2 rsa4096: $SPEED2 sign/s"
    "$BENCH" ca-issue --dir "$WORK/issue" --count "$COUNT" --concurrency 1,2 --raw-seconds "$SPEED_SECONDS" | tee -a "$OUT"
fi

# 2. OCSP.
wrk_run() { # label url prefix
    OCSP_REQUESTS="$WORK/ocsp/requests.txt" OCSP_PREFIX="$3" \
        wrk -t 2 -c "$CONNECTIONS" -d "$DURATION" --latency -s "$WORK/ocsp.lua" "$2" >"$WORK/wrk-$1.txt" 2>&1 || true
    grep -E 'Latency|Requests/sec|Socket errors|Non-2xx' "$WORK/wrk-$1.txt" | sed "s/^/  $1: /" | tee -a "$OUT" >/dev/null
    echo "wrk $1: $(grep '^RESULT' "$WORK/wrk-$1.txt")" | tee -a "$OUT"
}
if [[ " $PARTS " == *" ocsp "* ]]; then
    log "== 2. OCSP: $OCSP_CERTS certificates, wrk -t 2 -c $CONNECTIONS -d $DURATION, random GET requests"
    cat >"$WORK/ocsp.lua" <<'EOF'
-- wrk: each request is a random one of the pre-generated OCSP requests (GET <prefix><base64>,
-- RFC 6960 A.1), and every answer is checked: HTTP 200 and a body of at least 200 bytes (a
-- signed response; OCSP error statuses such as malformedRequest are a few bytes).
--
-- wrk's default resolve() opens and closes a connection to test the address; OpenSSL 3.0's
-- `openssl ocsp` responder then loops forever reading EOF on it (100 % CPU, never answers
-- again). The address is taken as it is, for both servers.
function wrk.resolve(host, service)
  wrk.addrs = wrk.lookup(host, service)
end
local prefix = os.getenv("OCSP_PREFIX") or "/ocsp/"
local paths = {}
for line in io.lines(os.getenv("OCSP_REQUESTS")) do paths[#paths + 1] = prefix .. line end
local threads, counter = {}, 0
bad = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(1000 + id)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
function response(status, headers, body)
  if status ~= 200 or #body < 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f requests=%d seconds=%.2f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f bad=%d connect_err=%d read_err=%d write_err=%d status_err=%d timeouts=%d\n",
    summary.requests / (summary.duration / 1e6), summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    b, e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
    "$BENCH" ca-ocsp-setup --dir "$WORK/ocsp" --count "$OCSP_CERTS" --listen "127.0.0.1:$SANTEPKI_PORT" | tee -a "$OUT"

    # santepki serve, over the setup's database (its santepki.toml, not the demo's).
    port_free "$SANTEPKI_PORT"
    (cd "$WORK/ocsp" && SANTEPKI_CONFIG="$WORK/ocsp/santepki.toml" exec "$SANTEPKI" serve) >"$WORK/santepki-serve.log" 2>&1 &
    SERVER_PID=$!
    wait_url "http://127.0.0.1:$SANTEPKI_PORT/ocsp/$(head -1 "$WORK/ocsp/requests.txt")"
    "$BENCH" ca-ocsp-check --dir "$WORK/ocsp" --url "http://127.0.0.1:$SANTEPKI_PORT/ocsp" | tee -a "$OUT"
    "$BENCH" ca-ocsp-check --dir "$WORK/ocsp" --url "http://127.0.0.1:$SANTEPKI_PORT/ocsp" --post | tee -a "$OUT"
    openssl ocsp -respin <(curl -s "http://127.0.0.1:$SANTEPKI_PORT/ocsp/$(head -1 "$WORK/ocsp/requests.txt")") -resp_text \
        -verify_other "$WORK/ocsp/ca.pem" -CAfile "$WORK/ocsp/bundle.pem" 2>&1 | grep -E 'Cert Status|Response verify' | sed 's/^ */  santepki, openssl ocsp -respin: /' | tee -a "$OUT"
    wrk_run santepki "http://127.0.0.1:$SANTEPKI_PORT" /ocsp/
    echo "santepki memory: $(awk '/VmHWM/{print $2 " " $3}' /proc/$SERVER_PID/status) peak RSS" | tee -a "$OUT"
    stop_pid "$SERVER_PID"
    SERVER_PID=

    # openssl ocsp: the same issuing CA certificate and key, index.txt of the same certificates;
    # as used by default (one process), then with -multi 2.
    for multi in 1 2; do
        port_free "$OPENSSL_PORT"
        label=openssl
        args=()
        if [ "$multi" = 2 ]; then label=openssl-multi2; args=(-multi 2); fi
        (cd "$WORK/ocsp" && exec openssl ocsp -index index.txt -port "$OPENSSL_PORT" -rsigner ca.pem -rkey ca.key.pem -CA ca.pem "${args[@]}") \
            >"$WORK/$label.log" 2>&1 &
        SERVER_PID=$!
        wait_url "http://127.0.0.1:$OPENSSL_PORT/$(head -1 "$WORK/ocsp/requests.txt")"
        "$BENCH" ca-ocsp-check --dir "$WORK/ocsp" --url "http://127.0.0.1:$OPENSSL_PORT" --sample 20 | tee -a "$OUT"
        openssl ocsp -respin <(curl -s "http://127.0.0.1:$OPENSSL_PORT/$(head -1 "$WORK/ocsp/requests.txt")") -resp_text \
            -CAfile "$WORK/ocsp/bundle.pem" 2>&1 | grep -E 'Cert Status|Response verify' | sed "s/^ */  $label, openssl ocsp -respin: /" | tee -a "$OUT"
        wrk_run "$label" "http://127.0.0.1:$OPENSSL_PORT" /
        stop_pid "$SERVER_PID"
        SERVER_PID=
    done
fi

# 3. CRL.
if [[ " $PARTS " == *" crl "* ]]; then
    log "== 3. full CRL of $CRL_ENTRIES revoked certificates, $CRL_RUNS runs"
    "$BENCH" ca-crl --dir "$WORK/crl" --entries "$CRL_ENTRIES" --runs "$CRL_RUNS" | tee -a "$OUT"
    openssl crl -inform DER -in "$WORK/crl/full.crl" -noout -CAfile "$WORK/crl/ca-crl.pem" 2>&1 | sed 's/^/  openssl crl: /' | tee -a "$OUT" || true
fi

# Summary.
log "== summary"
awk -v s1="${SPEED1:-}" -v s2="${SPEED2:-}" '
    /^ca-issue concurrency 1:/ { i1 = $4 }
    /^ca-issue concurrency 2:/ { i2 = $4 }
    /^wrk santepki:/ { for (f = 1; f <= NF; f++) { split($f, kv, "="); if (kv[1] == "rps") sr = kv[2]; if (kv[1] == "p99_ms") sp = kv[2] } }
    /^wrk openssl:/ { for (f = 1; f <= NF; f++) { split($f, kv, "="); if (kv[1] == "rps") o1 = kv[2]; if (kv[1] == "p99_ms") op1 = kv[2] } }
    /^wrk openssl-multi2:/ { for (f = 1; f <= NF; f++) { split($f, kv, "="); if (kv[1] == "rps") o2 = kv[2]; if (kv[1] == "p99_ms") op2 = kv[2] } }
    /over [0-9]+ runs: median/ { crl = $0 }
    END {
        if (i1 != "" && s1 != "") printf "issuance, 1 at a time: %.1f/s = %.0f %% of openssl speed rsa4096 (%.1f sign/s); target >= 80 %%: %s\n", i1, 100 * i1 / s1, s1, (i1 >= 0.8 * s1 ? "met" : "NOT met")
        if (i2 != "" && s2 != "") printf "issuance, 2 at a time: %.1f/s = %.0f %% of openssl speed -multi 2 rsa4096 (%.1f sign/s); target >= 80 %%: %s\n", i2, 100 * i2 / s2, s2, (i2 >= 0.8 * s2 ? "met" : "NOT met")
        if (sr != "" && o1 > 0) printf "OCSP: santepki %.0f req/s (p99 %.2f ms) = %.0fx openssl ocsp (%.1f req/s, p99 %.1f ms); target 50x: %s; p99 < 5 ms: %s\n", sr, sp, sr / o1, o1, op1, (sr >= 50 * o1 ? "met" : "NOT met"), (sp < 5 ? "met" : "NOT met")
        if (sr != "" && o2 > 0) printf "OCSP: santepki = %.0fx openssl ocsp -multi 2 (%.1f req/s, p99 %.1f ms); 50x: %s\n", sr / o2, o2, op2, (sr >= 50 * o2 ? "met" : "NOT met")
        if (crl != "") print crl "; target < 5 s"
    }' "$OUT" | tee -a "$OUT"
echo "results in $OUT"
