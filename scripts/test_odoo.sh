#!/usr/bin/env bash
# The same suite under Odoo's own runner (`odoo-bin --test-enable`), the way runbot and the
# OCA CI run it: a fresh copy of the base template, the addon installed with its tests, and
# a failure when a test fails, when one errors, or when none ran. `make test` (pytest) stays
# the test command; this one proves Odoo's runner finds and passes every test too.
# Its own database by default, so that it can run beside `make test`.
TEST_DB=${TEST_DB:-cobranza_test_odoo}
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The body is a function, read whole before it runs: editing this file mid-run is harmless.
main() {
    require_odoo
    bash "$ROOT/scripts/setup.sh"
    require_postgres
    require_port_free "$HTTP_PORT"
    log="$ROOT/var/test-odoo-$TEST_DB.log"
    mkdir -p "$ROOT/var"

    info "Copying the base template into a fresh database $TEST_DB"
    copy_base_template "$TEST_DB"

    info "Installing cobranza_whatsapp with Odoo's test runner (log: var/test-odoo-$TEST_DB.log)"
    status=0
    odoo_bin -d "$TEST_DB" --http-port="$HTTP_PORT" -i cobranza_whatsapp \
        --test-enable --test-tags /cobranza_whatsapp --stop-after-init --log-level=test "$@" \
        >"$log" 2>&1 || status=$?

    # Odoo's last word: "<F> failed, <E> error(s) of <N> tests when loading database '<db>'".
    summary=$(grep -Eo '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database' "$log" \
        | tail -n 1 || true)
    if [ -z "$summary" ]; then
        tail -n 40 "$log" >&2
        die "Odoo's runner printed no test summary (exit status $status): see var/test-odoo-$TEST_DB.log."
    fi
    read -r failed errors total < <(sed -E 's/^([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) .*/\1 \2 \3/' \
        <<<"$summary")
    if [ "$failed" -ne 0 ] || [ "$errors" -ne 0 ] || [ "$status" -ne 0 ]; then
        grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) |^(FAIL|ERROR): ' "$log" | head -n 60 >&2 || true
        die "Odoo's runner: $failed failed, $errors error(s) of $total tests (exit status $status): see var/test-odoo-$TEST_DB.log."
    fi
    [ "$total" -gt 0 ] || die "Odoo's runner ran no test: is tests/__init__.py importing the test modules?"
    info "Odoo's runner: $total tests, none failed"
}

main "$@"
