"""Shared fixtures: an isolated data folder per test session, paths to shared real data."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (a git worktree may sit one level deeper)
SHARED = next((d / "shared" for d in REPO.parents if (d / "shared").is_dir()), REPO.parent / "shared")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data sets beside the repository (see each README there)."""
    path = SHARED / "data"
    if not path.exists():
        pytest.skip("../shared/data is not beside this checkout")
    return path


@pytest.fixture(scope="session")
def spc_reference() -> dict:
    """Reference control-chart values computed by qcc 3.0 and qicharts2 0.8.1."""
    import json

    path = SHARED / "reference" / "spc_cases.json"
    if not path.exists():
        pytest.skip("../shared/reference is not beside this checkout")
    return {case["id"]: case for case in json.loads(path.read_text())["cases"]}


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's chromium for Playwright; installed with apt-get on a fresh machine when root.

    Never a browser download: only the distribution's package is used.
    """
    import os
    import shutil
    import subprocess

    if not CHROMIUM.exists():
        if os.geteuid() == 0 and shutil.which("apt-get"):
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env,
                           capture_output=True)
        else:
            pytest.fail("browser tests need Debian's chromium: run 'apt-get install chromium' as root")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser(chromium_executable):
    """A headless Chromium driven by Playwright, shared by the browser tests of a session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
