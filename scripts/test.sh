#!/usr/bin/env bash
# Command two: set up, lint, install the addon in a fresh database (checking the install
# and the upgrade log nothing at WARNING or above), then run the whole suite with pytest.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

require_odoo
bash "$ROOT/scripts/setup.sh"
require_postgres
mkdir -p "$ROOT/var"

info "Lint: ruff"
"$LINT_VENV/bin/ruff" check "$ROOT/cobranza_whatsapp" "$ROOT/bench" "$ROOT/scripts"
info "Lint: pylint-odoo (OCA mandatory checks for 19.0)"
"$LINT_VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" "$ROOT/cobranza_whatsapp"
info "Lint: oca-checks-odoo-module and oca-checks-po (XML, CSV, PO)"
"$LINT_VENV/bin/oca-checks-odoo-module" --no-verbose "$ROOT/cobranza_whatsapp/__manifest__.py"
"$LINT_VENV/bin/oca-checks-po" --no-verbose "$ROOT"/cobranza_whatsapp/i18n/*.po*

info "Installing cobranza_whatsapp in a fresh database $TEST_DB"
create_db_with_addon "$TEST_DB" "$ROOT/var/test-install.log"
problems=$(log_problems "$ROOT/var/test-install.log")
[ -z "$problems" ] || { printf '%s\n' "$problems" >&2; die "Installing the addon logged warnings or errors (above)."; }
info "Upgrading it once more (idempotent data, clean log)"
odoo_bin -d "$TEST_DB" -u cobranza_whatsapp --stop-after-init --no-http --log-level=info \
    >"$ROOT/var/test-upgrade.log" 2>&1 || die "Upgrading cobranza_whatsapp failed: see var/test-upgrade.log."
problems=$(log_problems "$ROOT/var/test-upgrade.log")
[ -z "$problems" ] || { printf '%s\n' "$problems" >&2; die "Upgrading the addon logged warnings or errors (above)."; }

info "Running the test suite"
cd "$ROOT"
"$VENV/bin/python" -m pytest \
    --odoo-database="$TEST_DB" \
    --odoo-addons-path="$(addons_path)" \
    --odoo-log-level=warn \
    --odoo-http \
    -p no:cacheprovider \
    cobranza_whatsapp/tests "$@"
