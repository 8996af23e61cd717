"""A wheel (non-editable install) carries the report templates and example parameters files.

Built from a copy of the checkout's files as a fresh clone would have them, installed with
``pip install --target`` and imported from there in a subprocess, so nothing of the checkout
can stand in for what the wheel lacks.
"""

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED = {"templates": "*.ipynb", "parameters": "*.yaml"}  # checkout folder -> files the wheel carries


def _clone_files() -> list[str]:
    """The files a fresh clone has (tracked, plus new ones not ignored), relative to the checkout."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to know which files a fresh clone has")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True, text=True).stdout
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


def _copy_clone(files: list[str], dest: Path) -> Path:
    for name in files:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    return dest


def _setuptools_major() -> int:
    try:
        return int(importlib.metadata.version("setuptools").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return 0


def _build_wheel(source: Path, out: Path) -> Path:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)]
    # pyproject.toml needs setuptools>=77; an older one in the venv (Python 3.11's venv ships 65.5)
    # cannot build it, so then pip fetches setuptools into an isolated build environment instead
    if _setuptools_major() >= 77:
        command.insert(4, "--no-build-isolation")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert done.returncode == 0, f"pip wheel failed:\n{done.stdout}\n{done.stderr}"
    (wheel,) = out.glob("qoswb-*.whl")
    return wheel


LOOKUP = """
import json
from pathlib import Path
import qoswb
from qoswb.reports import bundled, params
demo = params.load(bundled.bundled_file("parameters", "demo.yaml"))
print(json.dumps({
    "qoswb": qoswb.__file__,
    "team_report": str(params.find_template("team_report", Path("."))),
    "demo_templates": [str(t.path) for t in demo.templates],
}))
"""


@pytest.mark.slow
def test_installed_wheel_carries_and_finds_templates(tmp_path):
    files = _clone_files()
    wheel = _build_wheel(_copy_clone(files, tmp_path / "clone"), tmp_path / "wheel")

    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = {f"qoswb/reports/{folder}/{path.name}": path
               for folder, pattern in BUNDLED.items() for path in (REPO / folder).glob(pattern)}
    assert {"qoswb/reports/templates/team_report.ipynb",
            "qoswb/reports/templates/portfolio_report.ipynb",
            "qoswb/reports/parameters/demo.yaml",
            "qoswb/reports/parameters/nhs_ae.yaml"} <= set(bundled)
    assert set(bundled) <= names, f"missing from the wheel: {sorted(set(bundled) - names)}"
    # the package list in pyproject.toml is explicit: a sub-package left out of it shows here
    package_files = {name for name in files if name.startswith("qoswb/")}
    assert package_files <= names, f"missing from the wheel: {sorted(package_files - names)}"

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True, timeout=120,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    # run outside the checkout: the current folder comes first on sys.path and holds no qoswb/
    done = subprocess.run([sys.executable, "-c", LOOKUP], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)

    installed = site.resolve() / "qoswb"
    assert Path(found["qoswb"]).resolve() == installed / "__init__.py"
    team_report = Path(found["team_report"])
    assert team_report == installed / "reports" / "templates" / "team_report.ipynb"
    assert team_report.read_bytes() == (REPO / "templates" / "team_report.ipynb").read_bytes()
    assert [Path(p) for p in found["demo_templates"]] == [
        installed / "reports" / "templates" / f"{name}.ipynb"
        for name in ("team_report", "portfolio_report")]
