#!/usr/bin/env bash
# Idempotent set-up: Debian packages, PostgreSQL running with a role for this user,
# and a virtualenv with Odoo's requirements and ours. A second run with nothing changed
# only checks and returns.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

require_odoo

DEB_PACKAGES=(
    postgresql postgresql-client libpq-dev libldap2-dev libsasl2-dev
    build-essential python3-dev python3-venv
    wkhtmltopdf chromium fonts-dejavu-core
)

install_debian_packages() {
    local missing=()
    for pkg in "${DEB_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != "0" ]; then
        die "Debian packages missing (${missing[*]}): run 'make setup' as root, or install them with apt-get."
    fi
    info "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_postgres() {
    if pg_isready -q 2>/dev/null; then
        return 0
    fi
    info "Starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null && [ "$(id -u)" = "0" ]; then
        local version
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        [ -n "$version" ] || die "PostgreSQL is installed but has no cluster in /etc/postgresql."
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
    for _ in $(seq 1 30); do
        pg_isready -q 2>/dev/null && return 0
        sleep 1
    done
    die "PostgreSQL is not reachable after starting it: see /var/log/postgresql/ for the reason."
}

ensure_pg_role() {
    if psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        return 0
    fi
    [ "$(id -u)" = "0" ] \
        || die "PostgreSQL has no role '$PGUSER' able to connect: create it with 'createuser -s $PGUSER' as the postgres user."
    info "Creating PostgreSQL role $PGUSER"
    su postgres -c "createuser -s '$PGUSER'" >/dev/null 2>&1 || true
    psql -d postgres -Atc 'select 1' >/dev/null 2>&1 \
        || die "PostgreSQL refuses role '$PGUSER': check pg_hba.conf allows local connections."
}

setup_venv() {
    local stamp="$VENV/.cobranza-setup"
    local wanted
    wanted=$(cat "$ODOO_PATH/requirements.txt" "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$0" \
        <(printf '%s' "$ODOO_PATH") | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$VENV/bin/python" ]; then
        return 0
    fi
    info "Building the virtualenv in $VENV (Odoo's requirements and ours; a few minutes the first time)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    # Some of Odoo's pinned sdists import pkg_resources, which setuptools 81 removed:
    # constrain their isolated builds instead of patching Odoo.
    local constraints="$VENV/build-constraints.txt"
    printf 'setuptools<81\n' > "$constraints"
    export PIP_CONSTRAINT="$constraints"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    "$VENV/bin/python" -m pip install -q --upgrade 'pip<26' wheel 'setuptools<81'
    "$VENV/bin/python" -m pip install -q -r "$ODOO_PATH/requirements.txt"
    "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.txt" -r "$ROOT/requirements-dev.txt"
    # Odoo is not installed as a package: put the checkout on the venv's path so that
    # `import odoo` works for pytest-odoo, the benchmarks and the scripts.
    "$VENV/bin/python" - "$ODOO_PATH" <<'PY'
import pathlib, sys, sysconfig
pathlib.Path(sysconfig.get_paths()["purelib"], "odoo_path.pth").write_text(sys.argv[1] + "\n")
PY
    printf '%s' "$wanted" > "$stamp"
}

setup_lint_venv() {
    local stamp="$LINT_VENV/.cobranza-setup"
    local wanted
    wanted=$(sha256sum "$ROOT/requirements-lint.txt" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$LINT_VENV/bin/python" ]; then
        return 0
    fi
    info "Building the linters' virtualenv in $LINT_VENV"
    [ -x "$LINT_VENV/bin/python" ] || "$PYTHON" -m venv "$LINT_VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$LINT_VENV/bin/python" -m pip install -q \
        -r "$ROOT/requirements-lint.txt"
    printf '%s' "$wanted" > "$stamp"
}

install_debian_packages
start_postgres
ensure_pg_role
setup_venv
setup_lint_venv
info "Set-up is complete (Odoo $ODOO_PATH, virtualenv $VENV)"
