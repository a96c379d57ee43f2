#!/usr/bin/env bash
# Install the Debian packages the project needs to build and test.
#
#   scripts/install-deps.sh            install everything in PACKAGES below
#   scripts/install-deps.sh PKG...     install only the given packages
#                                      (scripts/services.sh uses this)
#
# Without arguments it also creates the Python virtualenv of the tests,
# target/test-venv, with scripts/requirements-test.txt installed (skipped when
# already up to date).
#
# Idempotent and quick when nothing is missing: apt is only touched if at
# least one package is not installed yet. Needs root (CI runs as root) to
# install anything; without root it only reports what is missing.
set -euo pipefail

# System packages the project needs. Add new ones here (e.g. slapd, chromium)
# as issues require them.
PACKAGES=(
  postgresql          # private test cluster started by scripts/services.sh
  postgresql-client   # psql / pg_isready
  ca-certificates
  curl
  openssl
  pkg-config
  build-essential     # cc/linker for crates with C parts
  ldap-utils          # ldapsearch: the LDAP server's tests (R44)
  libsasl2-modules    # SASL ANONYMOUS for ldapsearch without -x (the exact R44 command)
  python3-venv        # the Python client tests' virtualenv (target/test-venv)
  softhsm2            # PKCS#11 token for the CA key custody tests (module
                      # /usr/lib/softhsm/libsofthsm2.so; token set up by scripts/services.sh)
)

full=1
if (($# > 0)); then
  PACKAGES=("$@")
  full=0
fi

log() { echo "install-deps: $*" >&2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The tests' Python virtualenv: created once, requirements reinstalled only
# when scripts/requirements-test.txt changed (a copy is kept in the venv).
ensure_test_venv() {
  local venv="$REPO/target/test-venv" req="$REPO/scripts/requirements-test.txt"
  if [[ -x "$venv/bin/python" ]] && cmp -s "$req" "$venv/requirements-test.txt"; then
    log "test virtualenv up to date ($venv)"
    return 0
  fi
  log "creating the test virtualenv $venv"
  mkdir -p "$REPO/target"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  cp "$req" "$venv/requirements-test.txt"
}

# dpkg-query prints "install ok installed" only for fully installed packages
# (not for removed-but-configured or half-installed ones).
missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  log "all ${#PACKAGES[@]} packages already installed, nothing to do"
  if ((full)); then ensure_test_venv; fi
  exit 0
fi

if ((EUID != 0)); then
  log "missing packages: ${missing[*]}"
  log "run as root (or: sudo apt-get install -y --no-install-recommends ${missing[*]})"
  exit 1
fi

# Remember which distro PostgreSQL clusters are running before the install:
# on machines without a policy-rc.d that blocks services, installing the
# postgresql package creates *and starts* a default cluster on port 5432,
# which the tests do not use (they use the private cluster of services.sh).
running_clusters() {
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | awk '$4 == "online" { print $1 "/" $2 }' || true
  fi
}
before=$(running_clusters)

log "installing: ${missing[*]}"
# No stdin in CI: never let debconf or dpkg ask questions.
export DEBIAN_FRONTEND=noninteractive
apt-get update >&2
apt-get install -y --no-install-recommends "${missing[@]}" >&2

# Stop any distro cluster that the install itself just started.
for cluster in $(running_clusters); do
  if ! grep -qxF "$cluster" <<<"$before"; then
    log "stopping distro PostgreSQL cluster $cluster started by the package install (tests use their own)"
    pg_ctlcluster "${cluster%%/*}" "${cluster#*/}" stop >&2 || log "warning: could not stop $cluster"
  fi
done

if ((full)); then ensure_test_venv; fi

log "done"
