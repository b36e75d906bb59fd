"""simfl as a package: the Python API, shipped scenarios as package data, and a wheel that
works outside the checkout.

The wheel test builds a wheel, installs it into a fresh virtualenv in a temporary folder
and runs `simfl list`, `simfl run quickstart` and the API import from another folder.
By default the fresh environment borrows this environment's dependencies (torch & co.,
added as a path, so this checkout's editable simfl stays invisible) and takes ~20 s;
with SIMFL_WHEEL_FULL=1 (set by .ci/run) pip resolves every dependency from the wheel's
own metadata, as a user's `pip install` would (~2-3 min: torch is unpacked afresh).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import simfl

ROOT = Path(__file__).resolve().parent.parent
API = ("run_scenario", "load_scenario", "FederationMarket", "run_sweep", "read_tables",
       "read_manifest", "RunFolder", "load_sweep", "run_model", "Scenario",
       "shipped_scenario")  # fmt: skip
QUICK = ["--set", "rounds=2", "--set", "compare=[]", "--set", "fl.contribution.methods=[size,loo]",
         "--set", "fl.contribution.pay_by=loo", "--no-report"]  # fmt: skip


def test_import_simfl_exposes_the_api_without_loading_torch():
    code = (
        "import sys, simfl; assert 'torch' not in sys.modules, 'torch at import'; "
        f"names = {API!r}; missing = [n for n in names if not hasattr(simfl, n)]; "
        "assert not missing, missing; assert set(names) <= set(simfl.__all__); "
        "simfl.load_scenario('quickstart'); assert 'torch' not in sys.modules; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT / "tests", check=False)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr


def test_an_unknown_api_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'simfl' has no attribute 'nope'"):
        simfl.nope  # noqa: B018


def test_the_api_runs_a_shipped_scenario_by_name(tmp_path):
    folder = simfl.run_scenario("quickstart", tmp_path, overrides={"rounds": 2, "compare": []})
    tables = simfl.read_tables(folder, ("model",))
    assert list(tables["model"]["round"])[-1] == 2
    assert simfl.read_manifest(folder)["name"] == "quickstart"


def build_wheel(into: Path) -> Path:
    """A wheel of this checkout, built from a copy so no build/ folder lands in it (in
    an isolated build environment, as pip builds for users)."""
    source = into / "src"
    for name in ("simfl", "scenarios"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "-w", str(into / "dist"), str(source)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (wheel,) = (into / "dist").glob("simfl-*.whl")
    return wheel


def test_the_wheel_ships_scenarios_sweeps_and_the_console_script(tmp_path):
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "scenarios").rglob("*.yaml"):
        assert f"simfl/scenarios/{path.relative_to(ROOT / 'scenarios')}" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "simfl = simfl.cli:console" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(n.startswith("tests/") for n in names)


def test_a_wheel_installed_outside_the_checkout_lists_runs_and_imports(tmp_path):
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    full = os.environ.get("SIMFL_WHEEL_FULL") == "1"
    install = [str(python), "-m", "pip", "install", "-q", str(wheel)]
    if not full:  # borrow this environment's dependencies; simfl itself comes from the wheel
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        (Path(site) / "simfl_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        install.append("--no-deps")
    done = subprocess.run(install, capture_output=True, text=True, check=False, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    simfl_bin = str(venv / "bin" / "simfl")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, capture_output=True, text=True, cwd=elsewhere, env=env,
                              check=False, timeout=600)  # fmt: skip

    where = run(str(python), "-c", "import simfl; print(simfl.__file__)")
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr  # not the checkout
    listed = run(simfl_bin, "list")
    assert listed.returncode == 0, listed.stderr
    assert "  quickstart " in listed.stdout and "  free_riders " in listed.stdout
    ran = run(simfl_bin, "run", "quickstart", *QUICK, "--out", "results", "--quiet")
    assert ran.returncode == 0, ran.stderr
    (folder,) = (elsewhere / "results").iterdir()
    assert ran.stdout == f"results: results/{folder.name}\n"
    api = run(str(python), "-c",
              "from simfl import run_scenario, load_scenario, FederationMarket; "
              "m = FederationMarket(load_scenario('quickstart', {'rounds': 1})); m.step(); "
              "print(m.round)")  # fmt: skip
    assert api.returncode == 0 and api.stdout == "1\n", api.stderr
