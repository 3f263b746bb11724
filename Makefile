# The two commands a newcomer needs: `make demo` and `make test`. Both set up first.
.PHONY: setup demo test lint bench-cadence bench-sender bench-webhook clean

setup:
	@bash scripts/setup.sh

demo:
	@bash scripts/demo.sh

test:
	@bash scripts/test.sh

lint: setup
	@.venv-lint/bin/ruff check cobranza_whatsapp bench scripts
	@.venv-lint/bin/pylint --rcfile=.pylintrc cobranza_whatsapp
	@.venv-lint/bin/oca-checks-odoo-module --no-verbose cobranza_whatsapp/__manifest__.py
	@.venv-lint/bin/oca-checks-po --no-verbose cobranza_whatsapp/i18n/*.po*

clean:
	rm -rf var .venv .venv-lint
