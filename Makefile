# The two commands a newcomer needs: `make demo` and `make test`. Both set up first.
.PHONY: setup demo test test-odoo lint bench-cadence bench-sender bench-webhook clean

setup:
	@bash scripts/setup.sh

demo:
	@bash scripts/demo.sh

test:
	@bash scripts/test.sh

# The same suite under Odoo's own runner (odoo-bin --test-enable), as runbot and OCA CI run it.
test-odoo:
	@bash scripts/test_odoo.sh

lint: setup
	@.venv-lint/bin/ruff check cobranza_whatsapp bench scripts
	@.venv-lint/bin/pylint --rcfile=.pylintrc cobranza_whatsapp
	@.venv-lint/bin/oca-checks-odoo-module --no-verbose cobranza_whatsapp/__manifest__.py
	@.venv-lint/bin/oca-checks-po --no-verbose cobranza_whatsapp/i18n/*.po*

clean:
	rm -rf var .venv .venv-lint
