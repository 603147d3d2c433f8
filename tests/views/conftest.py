"""Fixtures of the view tests: fixed cases (in tests/views/cases) and the example cases, assessed once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from revspine import assess, parse_case
from revspine.case import Case
from revspine.cli.main import example_paths, read_case_file
from revspine.knowledge import KnowledgePack
from revspine.pipeline import Assessment
from revspine.views import AssessmentView, build_assessment_view

from ..conftest import TODAY

CASES = Path(__file__).parent / "cases"
GOLDEN = Path(__file__).parent / "golden"


@dataclass
class Built:
    name: str
    case: Case
    assessment: Assessment
    view: AssessmentView


def build(path: Path, pack: KnowledgePack, **kw: str) -> Built:
    case = parse_case(read_case_file(path), pack, today=TODAY)
    a = assess(case, pack)
    return Built(path.stem, case, a, build_assessment_view(a, case, pack=pack, **kw))


def case_paths() -> list[Path]:
    return sorted(CASES.glob("*.json")) + example_paths()


@pytest.fixture(scope="session")
def built_cases(pack: KnowledgePack) -> list[Built]:
    return [build(p, pack, patient_label="Test Patient", assessment_id="a-1") for p in case_paths()]


@pytest.fixture(scope="session")
def infection(pack: KnowledgePack) -> Built:
    return build(CASES / "infection_red_flags.json", pack, patient_label="Ward 7 bed 3", assessment_id="17")
