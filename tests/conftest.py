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
