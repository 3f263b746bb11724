#!/usr/bin/env bash
# Export the addon's translation template from a database that has it installed, and merge
# it into the Spanish catalogue so new strings appear there untranslated.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

require_odoo
bash "$ROOT/scripts/setup.sh"
db=${I18N_DB:-$TEST_DB}
db_exists "$db" || create_db_with_addon "$db" "$ROOT/var/i18n-install.log"
"$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$(addons_path)" i18n export \
    -d "$db" cobranza_whatsapp >/dev/null
po="$ROOT/cobranza_whatsapp/i18n/es.po"
pot="$ROOT/cobranza_whatsapp/i18n/cobranza_whatsapp.pot"
if [ -f "$po" ]; then
    msgmerge --quiet --no-fuzzy-matching --update --backup=none "$po" "$pot"
    info "Merged $pot into $po"
fi
