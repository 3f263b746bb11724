"""What every benchmark shares: a database with the addon, the machine's description."""

import importlib.util
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from generate_data import generate_fast, odoo_env  # noqa: E402,F401

import odoo.addons  # noqa: E402

# The addon's pure tools importable before Odoo starts, with the Odoo addons it imports
# from at module level (sms's API base class for the sandbox).
for _path in (os.path.join(os.environ.get("ODOO_PATH", "/opt/odoo"), "addons"), ROOT):
    if _path not in odoo.addons.__path__:
        odoo.addons.__path__.append(_path)


def _test_double(name):
    """A module of the addon's tests/ (a test double), loaded alone: importing the tests
    package would import every test module, and those need the addons path that Odoo sets
    up only when a benchmark opens its database."""
    qualified = f"odoo.addons.cobranza_whatsapp.tests.{name}"
    if qualified not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            qualified, os.path.join(ROOT, "cobranza_whatsapp", "tests", f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
    return sys.modules[qualified]


graph_mock = _test_double("graph_mock")  # the loopback Graph API, Meta's shapes and faults


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
    os.makedirs(os.path.dirname(log), exist_ok=True)  # var/ is not there on a new checkout
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
