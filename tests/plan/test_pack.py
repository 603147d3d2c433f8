"""The plan-area knowledge: every citation of ours is used, every entry resolves, and a local pack
that breaks the rules fails to load with a message naming the entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from revspine import load_pack
from revspine.errors import KnowledgeError
from revspine.knowledge.loader import builtin_pack_dir

OURS = ("plan", "order_set", "instruments", "answers")


def test_every_plan_citation_is_used(pack):
    ours = {c["id"] for c in yaml.safe_load((builtin_pack_dir() / "citations" / "plan.yaml").read_text())["citations"]}
    unused = ours - pack.cited_ids()
    assert not unused


def test_our_sections_are_registered_and_loaded(pack):
    for name in ("alignment_rules", "lordosis_formulas", "pi_class_table", "osteotomies", "revision_strategies",
                 "bone_quality", "prior_operation_outcomes", "order_set", "order_items", "instruments", "jargon",
                 "patient_texts", "patient_answers"):
        assert name in pack.sections, name
    assert all((builtin_pack_dir() / d).is_dir() for d in OURS)


def test_secondary_sources_are_flagged(pack):
    assert pack.citation("GapCodeSecondary").quality == "secondary"
    assert pack.citation("PiClassTable").quality == "secondary"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("revision_strategies:\n  - {id: not_a_cause, label: x, levels_rule: index, levels_note: x,"
         " approaches: [{id: a, label: a, considerations: a, citations: [Derman2020]}], uncertainty: x,"
         " citations: [Derman2020]}\n", "not a cause id"),
        ("osteotomies:\n  - {id: x, label: x, requirements: x, citations: [EfortOsteo2017]}\n", "missing_evidence"),
        ("lordosis_formulas:\n  - {id: x, label: x, expression: x, kind: point, pi: 1, population: x,"
         " citations: [NoSuchPaper]}\n", "NoSuchPaper"),
    ],
)
def test_bad_local_entries_are_rejected(tmp_path: Path, text, words):
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as e:
        load_pack([tmp_path])
    assert any(words in p.message or words in p.path for p in e.value.problems), e.value.problems


def test_modifier_bands_must_tile(tmp_path: Path):
    rules = yaml.safe_load((builtin_pack_dir() / "plan" / "alignment.yaml").read_text())["alignment_rules"]
    rules["modifiers"][0]["bands"][1]["lo_inclusive"] = False  # 10 would belong to no band
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({"alignment_rules": rules}), encoding="utf-8")
    with pytest.raises(KnowledgeError) as e:
        load_pack([tmp_path])
    assert any("boundary" in p.message for p in e.value.problems)
