"""The engine evaluates a finding only when the case records an input it reads (engine/inputs.py).

A finding skipped that way must be one that is not present: these tests evaluate every finding of
the pack the slow way (each predicate called) and compare, on the examples, the vignettes and
schema-valid random cases.
"""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel

from revspine import default_pack, parse_case
from revspine.cli.main import example_paths, read_case_file
from revspine.engine.conditions import Hits, check, evaluate_findings
from revspine.engine.facts import Facts, derive_facts
from revspine.engine.inputs import reads
from revspine.engine.labs import read_labs
from revspine.engine.predicates import compiled
from revspine.knowledge import KnowledgePack
from revspine.knowledge.schema import Condition

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


def _conditions(obj: Any, out: dict[int, Condition]) -> dict[int, Condition]:
    """Every condition reachable from ``obj`` (the pack's sections, entries and their fields)."""
    if isinstance(obj, Condition):
        out[id(obj)] = obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            _conditions(getattr(obj, name), out)
    elif isinstance(obj, dict):
        for v in obj.values():
            _conditions(v, out)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _conditions(v, out)
    return out


def _read_directly(cond: Condition | None, hits: Hits) -> list[str] | None:
    """What ``check`` gives, read from the condition directly: the reference the prepared checkers follow."""
    if cond is None:
        return []
    get = hits.get
    for fid in cond.none:
        if get(fid):
            return None
    used: list[str] = []
    for fid in cond.all:
        h = get(fid)
        if not h:
            return None
        used += h
    if cond.any:
        found = False
        for fid in cond.any:
            if h := get(fid):
                used += h
                found = True
        if not found:
            return None
    return used


def test_prepared_conditions_read_as_the_conditions_say(pack: KnowledgePack) -> None:
    """``check`` prepares each condition once (engine/conditions.py): over every condition of the pack and the hits
    of every example, and of random sets of present findings, it gives what the condition read directly gives."""
    found: dict[int, Condition] = {}
    for name, section in vars(pack).items():
        if name != "derived":  # what the engine worked out from the pack
            _conditions(section, found)
    conds = list(found.values())
    conds += [row.only_when for rows in pack.cause_evidence.values() for row in rows if row.only_when is not None]
    conds += [row.confirm_when for rows in pack.cause_evidence.values() for row in rows if row.confirm_when is not None]
    assert len(conds) > 200, len(conds)
    all_hits = [evaluate_findings(_facts(read_case_file(p), pack, TODAY), pack) for p in example_paths()]
    rng = random.Random(7)
    ids = list(pack.findings)
    for _ in range(40):
        present = rng.sample(ids, 60)
        all_hits.append({fid: ([f"input of {fid}"] if fid in present else None) for fid in ids})
    for hits in all_hits:
        for cond in conds:
            assert check(cond, hits) == _read_directly(cond, hits)
