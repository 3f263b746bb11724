# Shared helpers for the project's scripts. Sourced, never run.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_PATH=${ODOO_PATH:-/opt/odoo}
VENV=${VENV:-$ROOT/.venv}
LINT_VENV=${LINT_VENV:-$ROOT/.venv-lint}
PYTHON=${PYTHON:-python3}
DEMO_DB=${DEMO_DB:-cobranza_demo}
TEST_DB=${TEST_DB:-cobranza_test}
HTTP_PORT=${HTTP_PORT:-8069}
export PGHOST=${PGHOST:-}
export PGUSER=${PGUSER:-$(id -un)}

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
info() { printf '==> %s\n' "$*"; }

require_odoo() {
    [ -f "$ODOO_PATH/odoo/release.py" ] && [ -f "$ODOO_PATH/odoo-bin" ] \
        || die "No Odoo source at ODOO_PATH=$ODOO_PATH: check out Odoo 19.0 there (or set ODOO_PATH to your checkout)."
    local major
    major=$(sed -n 's/^version_info = (\([0-9]*\),.*/\1/p' "$ODOO_PATH/odoo/release.py")
    [ "$major" = "19" ] \
        || die "ODOO_PATH=$ODOO_PATH holds Odoo ${major:-of unknown version}, but cobranza_whatsapp needs Odoo 19."
    [ -d "$ODOO_PATH/addons/account" ] \
        || die "ODOO_PATH=$ODOO_PATH has no addons/account: the Odoo checkout is incomplete."
}

addons_path() {
    printf '%s' "$ODOO_PATH/odoo/addons,$ODOO_PATH/addons,$ROOT"
}

require_postgres() {
    if ! pg_isready -q 2>/dev/null; then
        die "PostgreSQL is not reachable (pg_isready failed): start it, or run 'make setup' as root to install and start it."
    fi
}

require_port_free() {
    local port=$1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "Port $port is already taken (another Odoo?): stop that process or run with HTTP_PORT=<free port>."
    fi
}

odoo_bin() {
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$(addons_path)" \
        --http-interface=127.0.0.1 "$@"
}

# The addons our module depends on, installed once into a template database that every
# demo and test database is copied from: creating a database with `account` is the slow
# part, copying one takes a second or two.
BASE_MODULES=account,account_payment,mail,phone_validation,resource,sms

base_template_name() {
    local key
    key=$( { sed -n 's/^version_info = \(.*\)/\1/p' "$ODOO_PATH/odoo/release.py";
             printf '%s' "$BASE_MODULES"; git -C "$ODOO_PATH" rev-parse HEAD 2>/dev/null || true;
             stat -c '%Y' "$ODOO_PATH/addons/account/__manifest__.py"; } | sha256sum | cut -c1-10)
    printf 'cobranza_base_%s' "$key"
}

db_exists() {
    psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1
}

ensure_base_template() {
    local template
    template=$(base_template_name)
    if db_exists "$template"; then
        printf '%s' "$template"
        return 0
    fi
    info "Creating the base template database $template (Odoo with $BASE_MODULES; about a minute, once)" >&2
    odoo_bin -d "$template" -i "$BASE_MODULES" --stop-after-init --no-http \
        --log-level=warn >"$ROOT/var/base-template.log" 2>&1 \
        || { dropdb --if-exists "$template"; tail -n 30 "$ROOT/var/base-template.log" >&2;
             die "Odoo could not create the base database: see var/base-template.log."; }
    printf '%s' "$template"
}

# A fresh database $1, copied (with its filestore) from the base template.
copy_base_template() {
    local db=$1 template
    template=$(ensure_base_template)
    dropdb --if-exists "$db" >/dev/null
    rm -rf "$HOME/.local/share/Odoo/filestore/$db"
    createdb -T "$template" "$db"
    if [ -d "$HOME/.local/share/Odoo/filestore/$template" ]; then
        mkdir -p "$HOME/.local/share/Odoo/filestore"
        cp -r "$HOME/.local/share/Odoo/filestore/$template" "$HOME/.local/share/Odoo/filestore/$db"
    fi
}

# Copy the base template into $1 and install (or upgrade) the addon in it; the Odoo log
# goes to $2. Fails if installing logs any WARNING or ERROR.
create_db_with_addon() {
    local db=$1 log=$2
    copy_base_template "$db"
    odoo_bin -d "$db" -i cobranza_whatsapp --stop-after-init --no-http --log-level=info >"$log" 2>&1 \
        || { tail -n 40 "$log" >&2; die "Installing cobranza_whatsapp failed: see $log."; }
}

# Lines of an Odoo log at WARNING or above (install cleanliness).
log_problems() {
    grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$1" || true
}
