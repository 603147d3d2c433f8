"""Screen fixtures: the shared OMOP sample (Eunomia, real rows nobody here wrote) plus seeded synthetic patients."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from revspine.screen.synth import synthesize

ROOT = Path(__file__).resolve().parents[2]


def shared_root() -> Path | None:
    """../shared of this checkout, or of the main checkout when this is a git worktree."""
    cands = [ROOT.parent / "shared"]
    git = ROOT / ".git"
    if git.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(git.read_text().split(":", 1)[1].strip())
        cands.append(gitdir.parents[3] / "shared")
    return next((c for c in cands if (c / "data").is_dir()), None)


@dataclass
class Dataset:
    folder: Path
    listed: set[int]
    fast_lane: set[int]
    sample_persons: set[int]


def eunomia_or_skip() -> Path:
    root = shared_root()
    if root is None:
        pytest.skip("shared test data not found (../shared): the OMOP sample is needed")
    return root / "data" / "eunomia-synthea27nj-cdm54" / "csv"


def build(folder: Path, persons: int, fmt: str = "csv", seed: int = 11) -> Dataset:
    eunomia = eunomia_or_skip()
    synthesize(folder, persons, seed=seed, fmt=fmt, base=eunomia)
    with (folder / "synth_truth.csv").open() as f:
        truth = list(csv.DictReader(f))
    with (eunomia / "PERSON.csv").open() as f:
        sample = {int(r["person_id"]) for r in csv.DictReader(f)}
    return Dataset(folder, {int(t["person_id"]) for t in truth if t["listed"] == "true"},
                   {int(t["person_id"]) for t in truth if t["fast_lane"] == "true"}, sample)


@pytest.fixture(scope="session")
def omop(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return build(tmp_path_factory.mktemp("omop") / "cdm", 6000)
