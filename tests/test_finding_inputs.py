"""The engine evaluates a finding only when the case records an input it reads (engine/inputs.py).

A finding skipped that way must be one that is not present: these tests evaluate every finding of
the pack the slow way (each predicate called) and compare, on the examples, the vignettes and
schema-valid random cases.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from revspine import default_pack, parse_case
from revspine.cli.main import example_paths, read_case_file
from revspine.engine.conditions import evaluate_findings
from revspine.engine.facts import Facts, derive_facts
from revspine.engine.inputs import reads
from revspine.engine.labs import read_labs
from revspine.engine.predicates import compiled
from revspine.knowledge import KnowledgePack

from .conftest import TODAY
from .strategies import ASSESSED, cases

PACK = default_pack()
VIGNETTES = sorted((Path(__file__).parent / "vignettes" / "cases").glob("*.json"))


def _facts(raw: dict[str, Any], pack: KnowledgePack, today: date) -> Facts:
    facts = derive_facts(parse_case(raw, pack, today=today))
    facts.lab_reads = read_labs(facts, pack)
    return facts


def _every_finding(facts: Facts, pack: KnowledgePack) -> dict[str, Any]:
    return {fid: fn(facts, params) for fid, (fn, params) in compiled(pack).present.items()}


def _same(facts: Facts, pack: KnowledgePack) -> None:
    assert evaluate_findings(facts, pack) == _every_finding(facts, pack)


@pytest.mark.parametrize("example", example_paths(), ids=lambda p: p.stem)
def test_examples_skip_no_present_finding(example: Path, pack: KnowledgePack) -> None:
    _same(_facts(read_case_file(example), pack, TODAY), pack)


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda p: p.stem)
def test_vignettes_skip_no_present_finding(vignette: Path, pack: KnowledgePack) -> None:
    case = json.loads(vignette.read_text(encoding="utf-8"))["case"]
    _same(_facts(case, pack, date.fromisoformat(case["assessment_date"])), pack)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=cases(PACK))
def test_random_cases_skip_no_present_finding(data: dict[str, Any]) -> None:
    _same(_facts(data, PACK, ASSESSED), PACK)


def test_the_skipping_is_real_and_every_finding_has_known_inputs(pack: KnowledgePack) -> None:
    c = compiled(pack)
    assert not c.always  # every predicate of the built-in pack names its inputs
    facts = _facts(read_case_file(example_paths()[0]), pack, TODAY)
    hits = evaluate_findings(facts, pack)
    assert list(hits) == list(pack.findings)  # every finding has its entry, present or None
    assert sum(1 for fids in c.by_input.values() for _ in fids) >= len(pack.findings)


def test_a_predicate_without_known_inputs_is_always_evaluated() -> None:
    assert reads("a_predicate_added_later", {}) is None
