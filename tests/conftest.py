"""Shared fixtures: an isolated data folder per test session, paths to shared real data."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


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
