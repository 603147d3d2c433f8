"""Results the engine builds once and shares between assessments (a cause set aside and a non-surgical option, one
object each per pack; the result of a cause no evidence item moved, by its rank, score, prior, work-up, tier and red
flag): each must be immutable, and sharing must never change another case's assessment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from revspine import assess, parse_case
from revspine.cli.main import example_paths, read_case_file
from revspine.cli.render import to_json
from revspine.engine import reason

from .conftest import TODAY


def _cases(pack):
    return [parse_case(read_case_file(p), pack, today=TODAY) for p in example_paths()]


def test_shared_results_are_immutable_and_built_once(pack):
    runs = [reason(c, pack) for c in _cases(pack)]
    excluded = [x for r in runs for x in r.not_applicable]
    options = [o for r in runs for o in r.options]
    ranked = [c for r in runs for c in (*r.differential, *r.mimics)]
    assert excluded and options and ranked
    for obj, name in [*((x, "reason") for x in excluded), *((o, "label") for o in options),
                      *((c, "rank") for c in ranked)]:
        with pytest.raises(ValidationError):
            setattr(obj, name, "changed")
    for c in ranked:
        for name in ("supporting", "opposing", "evidence_kinds", "icd10cm", "workup_missing", "citations"):
            assert isinstance(getattr(c, name), tuple), name
    assert len({id(x) for x in excluded}) == len({x.cause for x in excluded}), "one object per cause"
    assert len({id(o) for o in options}) == len({o.option for o in options}), "one object per option"


def test_sharing_never_changes_another_cases_assessment(pack, monkeypatch):
    from revspine.engine import differential

    cases = _cases(pack)
    expected = [to_json(assess(c, pack)) for c in cases]
    assert [to_json(assess(c, pack)) for c in reversed(cases)] == expected[::-1]
    monkeypatch.setattr(differential, "_BARE_KEPT", 1)  # every new result renews its store
    assert [to_json(assess(c, pack)) for c in cases] == expected
