"""The built wheel runs on its own: installed into a fresh virtualenv (onto the dependencies
this checkout's virtualenv already has) and run from a folder outside the checkout, it
migrates a database and renders pages in Italian."""

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.deploy

PAGE = """
from portal import create_app
import portal, sys
app = create_app()
response = app.test_client().get("/staff/login", headers={"Accept-Language": "it"})
print(portal.__file__)
print(app.template_folder)
print(response.status_code)
print(response.get_data(as_text=True))
"""


@pytest.fixture
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps",
         "-q", "-w", str(out)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("saldo-*.whl")
    return built


@pytest.fixture
def fresh_venv(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # the dependencies, but not this checkout's editable install (a .pth line does not run
    # the .pth files of the folder it adds)
    (Path(purelib) / "saldo-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    return venv


def the_wheel_holds_what_the_app_needs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "portal/templates/base.html",
        "portal/templates/email/receipt/body.html",
        "portal/static/css/saldo.css",
        "portal/translations/it/LC_MESSAGES/messages.mo",
        "portal/migrations/env.py",
        "portal/migrations/alembic.ini",
        "portal/migrations/versions/0001_initial_schema.py",
        "portal/settings.py",
    ):
        assert name in names, name
    assert not [n for n in names if n.startswith("config/")]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "saldo = portal.console:main" in text


def the_installed_wheel_migrates_and_speaks_italian(fresh_venv, tmp_path):
    env = {
        **os.environ,
        "SALDO_ENV": "production",
        "SECRET_KEY": "wheel-test-secret",
        "SALDO_ENCRYPTION_KEY": "wheel-test-encryption-key-of-32-characters",
        "SALDO_INSTANCE_PATH": str(tmp_path / "instance"),
        "SESSION_COOKIE_SECURE": "0",
    }
    env.pop("PYTHONPATH", None)
    upgrade = subprocess.run(
        [str(fresh_venv / "bin" / "saldo"), "db", "upgrade"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Running upgrade  -> 0001" in upgrade.stderr
    assert (tmp_path / "instance" / "saldo.sqlite3").is_file()

    page = subprocess.run(
        [str(fresh_venv / "bin" / "python"), "-c", PAGE],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    site = str(fresh_venv)
    assert page[0].startswith(site) and page[1].startswith(site), page[:2]
    assert page[1].endswith("/portal/templates")
    assert page[2] == "200"
    html = "\n".join(page[3:])
    assert '<html lang="it"' in html and "Accedi" in html


def test_the_wheel_installs_and_runs(wheel, fresh_venv, tmp_path):
    """One test, so that xdist builds the wheel once."""
    the_wheel_holds_what_the_app_needs(wheel)
    the_installed_wheel_migrates_and_speaks_italian(fresh_venv, tmp_path)
