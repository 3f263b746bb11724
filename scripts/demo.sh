#!/usr/bin/env bash
# Command one: set up, build the demo database (addon installed, realistic customers and
# invoices in every aging bucket, the cadence run in the WhatsApp sandbox), then serve it.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

require_odoo
bash "$ROOT/scripts/setup.sh"
require_postgres
require_port_free "$HTTP_PORT"
mkdir -p "$ROOT/var"

if [ "${DEMO_RESET:-0}" = "1" ] || ! db_exists "$DEMO_DB"; then
    info "Creating the demo database $DEMO_DB"
    create_db_with_addon "$DEMO_DB" "$ROOT/var/demo-install.log"
    info "Filling it with demo customers and invoices, and running the cadence in the sandbox"
    "$VENV/bin/python" "$ROOT/scripts/demo_data.py" -d "$DEMO_DB" \
        || die "Filling the demo database failed (see the output above)."
else
    info "Reusing the demo database $DEMO_DB (DEMO_RESET=1 make demo rebuilds it)"
    odoo_bin -d "$DEMO_DB" -u cobranza_whatsapp --stop-after-init --no-http --log-level=warn \
        >"$ROOT/var/demo-upgrade.log" 2>&1 || die "Upgrading the demo database failed: see var/demo-upgrade.log."
fi

cat <<MSG

  WhatsApp Collections demo is starting.
    URL:      http://localhost:$HTTP_PORT
    Login:    admin
    Password: admin
  Invoicing > Collections shows the messages; Settings > Invoicing > WhatsApp Collections
  the configuration. Stop with Ctrl+C.

MSG
exec "$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$(addons_path)" -d "$DEMO_DB" \
    --db-filter="^${DEMO_DB}\$" --http-port="$HTTP_PORT" --http-interface=127.0.0.1 \
    --log-level=info
