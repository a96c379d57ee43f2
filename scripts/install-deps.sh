#!/usr/bin/env bash
# Install the Debian packages the project needs to build and test.
#
#   scripts/install-deps.sh            install everything in PACKAGES below
#   scripts/install-deps.sh PKG...     install only the given packages
#                                      (scripts/services.sh uses this)
#
# Without arguments it also creates the Python virtualenv of the tests,
# target/test-venv, with scripts/requirements-test.txt installed, and installs
# the portal's end-to-end test dependencies (playwright-core) in e2e/node_modules
# with `npm ci` (each skipped when already up to date). Node.js and npm come from
# Debian only when no `node` is on the PATH.
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
  chromium            # the portal's end-to-end tests (Playwright drives /usr/bin/chromium)
  fonts-dejavu-core   # a font for chromium's screenshots of the portal
  prometheus          # scrapes a running node's /metrics in the operations test
  faketime            # runs a node with its clock off (the CA refuses to sign CRLs and OCSP then)
)

full=1
if (($# > 0)); then
  PACKAGES=("$@")
  full=0
fi

# The portal's end-to-end tests run playwright-core under Node.js (>= 18). A node
# already on the PATH is used as it is (this may be a newer one than Debian's);
# otherwise Debian's nodejs and npm are installed.
if ((full)) && ! command -v node >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
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

# The end-to-end tests' Node.js packages (e2e/package-lock.json: playwright-core
# only, no browser download: the tests drive Debian's /usr/bin/chromium).
# `npm ci` runs when e2e/node_modules is missing or the lock file changed since
# (a copy of the lock file is kept in node_modules).
ensure_e2e_node_modules() {
  local dir="$REPO/e2e"
  local stamp="$dir/node_modules/.santepki-package-lock.json"
  if [[ -f "$dir/node_modules/playwright-core/package.json" ]] && cmp -s "$dir/package-lock.json" "$stamp"; then
    log "e2e node modules up to date ($dir/node_modules)"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    log "npm is missing: install Debian's nodejs and npm, or an npm matching $(command -v node)"
    return 1
  fi
  log "installing the e2e node modules (npm ci in $dir)"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2)
  cp "$dir/package-lock.json" "$stamp"
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
  if ((full)); then
    ensure_test_venv
    ensure_e2e_node_modules
  fi
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

if ((full)); then
  ensure_test_venv
  ensure_e2e_node_modules
fi

log "done"
