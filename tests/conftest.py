"""Shared fixtures: the built-in pack (loaded once), the example cases, and shared/ data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from revspine import load_pack
from revspine.cli.main import example_paths
from revspine.knowledge import KnowledgePack

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TODAY = date(2026, 11, 22)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/*.json from the current engine instead of comparing (review the git diff!)",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def pack() -> KnowledgePack:
    return load_pack()


@pytest.fixture(scope="session")
def examples() -> list[Path]:
    return example_paths()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip(f"shared test data not found at {path} (a clone outside the workplace has no ../shared)")
    return path
