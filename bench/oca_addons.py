"""OCA addons for the comparison benchmarks, fetched from PyPI on first use, never committed.

Each addon comes from its Odoo 19.0 wheel (`odoo-addon-<name>`), downloaded with
`pip download --no-deps` into var/oca-wheels; only the addon's own folder is unpacked into
var/oca-addons. The addons its manifest depends on that are not in Odoo itself (nor in this
repository) are fetched the same way.
"""

import ast
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WHEELS = os.path.join(ROOT, "var", "oca-wheels")
ADDONS = os.path.join(ROOT, "var", "oca-addons")
ODOO_PATH = os.environ.get("ODOO_PATH", "/opt/odoo")

# Pinned so every run compares against the same code; the others take the newest 19.0 wheel.
PINNED = {"account_credit_control": "19.0.1.0.0.13"}


def _requirement(name):
    dist = "odoo-addon-" + name.replace("_", "-")
    if name in PINNED:
        return f"{dist}=={PINNED[name]}"
    return f"{dist}>=19.0,<19.1"


def _version_key(path):
    version = os.path.basename(path).split("-")[1]
    return [int(part) if part.isdigit() else 0 for part in version.split(".")]


def _wheel(name):
    pattern = os.path.join(WHEELS, f"odoo_addon_{name}-{PINNED.get(name, '19.0.*')}-*.whl")
    found = sorted(glob.glob(pattern), key=_version_key)
    return found[-1] if found else None


def _is_known(name):
    """Odoo's own addons and this repository's need nothing from the OCA."""
    for path in (os.path.join(ODOO_PATH, "odoo", "addons"), os.path.join(ODOO_PATH, "addons"),
                 ROOT):
        if os.path.isfile(os.path.join(path, name, "__manifest__.py")):
            return True
    return False


def _unpack(wheel, name):
    prefix = f"odoo/addons/{name}/"
    os.makedirs(ADDONS, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{name}-", dir=ADDONS)
    os.chmod(staging, 0o755)  # a source folder, readable like any other
    try:
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.infolist():
                relative = member.filename[len(prefix):]
                if not member.filename.startswith(prefix) or member.is_dir() or not relative:
                    continue
                target = os.path.normpath(os.path.join(staging, relative))
                if not target.startswith(staging + os.sep):
                    raise RuntimeError(f"unsafe path in {wheel}: {member.filename}")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with archive.open(member) as source, open(target, "wb") as handle:
                    shutil.copyfileobj(source, handle)
        if not os.path.isfile(os.path.join(staging, "__manifest__.py")):
            raise RuntimeError(f"{wheel} holds no {prefix}__manifest__.py")
        os.replace(staging, os.path.join(ADDONS, name))  # complete or absent, never half
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def manifest(name):
    with open(os.path.join(ADDONS, name, "__manifest__.py"), encoding="utf-8") as handle:
        return ast.literal_eval(handle.read())


def wheel_name(name):
    wheel = _wheel(name)
    return os.path.basename(wheel) if wheel else None


def ensure(name, _seen=None):
    """Make `name` and the OCA addons it depends on importable from var/oca-addons.

    Returns the addon names fetched or found there, dependencies first.
    """
    seen = _seen if _seen is not None else []
    if name in seen:
        return seen
    if not os.path.isfile(os.path.join(ADDONS, name, "__manifest__.py")):
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise ValueError(f"not an addon name: {name!r}")
        if not _wheel(name):
            os.makedirs(WHEELS, exist_ok=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            "--only-binary=:all:", "--dest", WHEELS, _requirement(name)],
                           check=True)
        wheel = _wheel(name)
        if not wheel:
            raise RuntimeError(f"pip downloaded no 19.0 wheel for {name} into {WHEELS}")
        _unpack(wheel, name)
    for depend in manifest(name).get("depends", []):
        if not _is_known(depend):
            ensure(depend, seen)
    seen.append(name)
    return seen
