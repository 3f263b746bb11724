"""What every benchmark shares: a database with the addon, the machine's description."""

import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from generate_data import generate_fast, odoo_env  # noqa: E402,F401

import odoo.addons  # noqa: E402

if ROOT not in odoo.addons.__path__:
    odoo.addons.__path__.append(ROOT)  # the addon's pure tools, importable before Odoo starts


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            mem_kb = int(handle.readline().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    pg = subprocess.run(["psql", "-d", "postgres", "-Atc", "show server_version"],
                        capture_output=True, text=True, check=False).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB RAM, "
            f"Python {platform.python_version()}, PostgreSQL {pg}")


def create_database(name, log):
    """A fresh database with the addon, copied from the base template (see scripts/)."""
    script = (f'source "{ROOT}/scripts/common.sh"; '
              f'create_db_with_addon "{name}" "{log}"')
    subprocess.run(["bash", "-c", script], check=True)


def cadence_data(env, customers, invoices, seed=1):
    """The benchmark's open invoices, and a sandbox account whose templates are approved."""
    import time  # noqa: PLC0415

    started = time.monotonic()
    generate_fast(env, customers, invoices, seed=seed)
    print(f"data: {invoices} invoices / {customers} customers generated in "
          f"{time.monotonic() - started:.1f}s")
    company = env.company
    account = env["cobranza.whatsapp.account"].create(
        {"name": "Bench", "company_id": company.id, "mode": "sandbox"})
    templates = env["cobranza.whatsapp.template"].search([("company_id", "=", company.id)])
    templates.write({"account_id": account.id})
    templates.action_submit()
    return company
