"""The evidence behind the pack: a complete citations registry, no rule resting on a patient page.

Read from the YAML files and the loaded pack independently of the schema's own validators, so
that a weakened validator shows up here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from revspine import KnowledgeError, load_pack
from revspine.knowledge import KnowledgePack, schema
from revspine.knowledge.loader import builtin_pack_dir

from .test_knowledge_integrity import models

CITATION_FILES = sorted((builtin_pack_dir() / "citations").glob("*.yaml"))
PMID = re.compile(r"^[1-9][0-9]{0,8}$")
DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$")
EVIDENCE_TYPES = {
    "clinical_practice_guideline",
    "systematic_review",
    "randomised_trial",
    "cohort",
    "case_series",
    "diagnostic_accuracy",
    "expert_opinion",
    "textbook",
    "patient_information",
    "standard",
}
# Evidence types that can never be the only support of a clinical number or rule.
NOT_CLINICAL_SUPPORT = {"patient_information"}
# Sections whose entries are wording for patients or code mappings, not clinical numbers or rules.
WORDING_SECTIONS = {"patient_texts", "patient_answers", "jargon", "value_sets", "pack"}


def carries_a_number_or_rule(m: BaseModel) -> bool:
    """Unit conversions and licence statements are not clinical claims; a finding is a rule only when it
    compares against a number (a threshold), otherwise it names a fact of the case."""
    if isinstance(m, schema.UnitConversion) or type(m).__name__ in {"Licence", "InstrumentLicence"}:
        return False
    if isinstance(m, schema.Finding):
        return any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in _values(m.params))
    return True


def _values(obj: Any) -> Iterator[Any]:
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _values(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _values(v)
    else:
        yield obj


# Citations files other helpers wrote while this registry was being completed (issue 11); their entries are
# completed after those helpers land. The list may only shrink (test_pending_files_are_really_pending).
PENDING_FILES: set[str] = set()


def raw_citations(pending: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in CITATION_FILES:
        if (path.name in PENDING_FILES) != pending:
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for c in doc.get("citations", []):
            yield path.name, c


@pytest.mark.parametrize(("fname", "c"), list(raw_citations()), ids=lambda v: v["id"] if isinstance(v, dict) else v)
def test_each_citation_is_complete(fname: str, c: dict[str, Any]) -> None:
    cid = c["id"]
    for key in ("authors", "title", "source", "year", "evidence_type"):
        assert c.get(key) not in (None, ""), f"{fname}:{cid} lacks {key}"
    assert c["evidence_type"] in EVIDENCE_TYPES, f"{fname}:{cid}: unknown evidence type {c['evidence_type']}"
    assert isinstance(c["year"], int) and 1900 <= c["year"] <= 2100, f"{fname}:{cid}: year {c['year']!r}"
    ids = [k for k in ("pmid", "doi", "url") if c.get(k)]
    if "shared/seeds" not in c["source"] and not str(c["authors"]).startswith("revspine project"):
        assert ids, f"{fname}:{cid} needs a pmid, doi or url"
    if c.get("pmid"):
        assert PMID.match(str(c["pmid"])), f"{cid}: pmid {c['pmid']!r}"
    if c.get("doi"):
        assert DOI.match(c["doi"]), f"{cid}: doi {c['doi']!r}"
    if c.get("url"):
        assert URL.match(c["url"]) and "%25" not in c["url"], f"{cid}: url {c['url']!r}"
        assert not any(site in c["url"] for site in schema.COPY_SITES), f"{cid}: cite the original, not a copy site"


def test_pending_files_are_really_pending() -> None:
    complete = {f.name for f in CITATION_FILES if f.name in PENDING_FILES} - {
        fname for fname, c in raw_citations(pending=True) if not (c.get("authors") and c.get("evidence_type"))
    }
    assert not complete, f"complete now; remove from PENDING_FILES: {sorted(complete)}"
    if not PENDING_FILES:
        assert schema.REQUIRE_COMPLETE_CITATIONS, "every file is complete: make the schema require it"


def test_unconfirmed_entries_say_what_is_unconfirmed(pack: KnowledgePack) -> None:
    # An entry whose authors were not recorded must say so in `unconfirmed`, not pass silently.
    for cid, c in pack.citations.items():
        authors = (c.authors or "").lower()
        if "not recorded" in authors or authors.startswith("not "):
            assert c.unconfirmed and "author" in c.unconfirmed.lower(), cid


def test_the_reviewed_corrections_hold(pack: KnowledgePack) -> None:
    mody = pack.citations["Mody2014"]
    assert mody.authors.startswith("Mayer JE") and mody.pmid == "24012429" and mody.quality == "secondary"
    assert "background" in (mody.note or "") and "exposure" in (mody.note or "")
    assert pack.citations["ReopCh202"].year == 2012 and "clinicalgate" not in (pack.citations["ReopCh202"].url or "")
    assert pack.citations["ScarChapter2019"].doi == "10.1007/978-3-319-98875-7_73"
    assert "38%" in (pack.citations["Schwarzer1994"].note or "")
    assert "8 hours" in (pack.citations["ShcAdapt2019"].note or "")
    for cid in ("KimReherniation", "LowGradeProspective", "SPECTPseudo"):
        assert pack.citations[cid].quality == "secondary", cid


_OK = "title: A title, source: A journal"
BAD = [
    pytest.param("authors", f"{{id: X, {_OK}, year: 2020, pmid: '1', evidence_type: cohort}}", "lacks authors",
                 marks=pytest.mark.skipif(not schema.REQUIRE_COMPLETE_CITATIONS, reason="transitional (issue 11)")),
    (
        "evidence type",
        f"{{id: X, authors: Smith J, {_OK}, year: 2020, pmid: '1', evidence_type: anecdote}}",
        "evidence_type",
    ),
    ("identifier", f"{{id: X, authors: Smith J, {_OK}, year: 2020, evidence_type: cohort}}", "pmid, doi or"),
    (
        "pmid form",
        f"{{id: X, authors: Smith J, {_OK}, year: 2020, pmid: 'PMC123', evidence_type: cohort}}",
        "not a PubMed id",
    ),
    (
        "doi form",
        f"{{id: X, authors: Smith J, {_OK}, year: 2020, doi: 'doi:10.1/x', evidence_type: cohort}}",
        "10.NNNN",
    ),
    (
        "double encoding",
        f"{{id: X, authors: Smith J, {_OK}, year: 2020, url: 'https://a.org/x%252Fy', evidence_type: cohort}}",
        "double-encoded",
    ),
    (
        "copy site",
        f"{{id: X, authors: Smith J, {_OK}, year: 2020, url: 'https://docslib.org/doc/1', evidence_type: cohort}}",
        "copies papers",
    ),
    ("year", f"{{id: X, authors: Smith J, {_OK}, pmid: '1', evidence_type: cohort}}", "lacks year"),
]


@pytest.mark.parametrize(("what", "entry", "message"), BAD)
def test_a_local_citation_with_a_gap_is_refused_with_a_clear_error(
    tmp_path: Path, what: str, entry: str, message: str
) -> None:
    (tmp_path / "cites.yaml").write_text(f"citations:\n  - {entry}\n")
    with pytest.raises(KnowledgeError) as err:
        load_pack([tmp_path])
    text = str(err.value) + " ".join(p.message for p in err.value.problems)
    assert message in text and "citations[X]" in " ".join(p.path for p in err.value.problems)


# -- no number or rule rests on a patient-information page alone -------------------------------------


def cited_models(obj: Any, where: str) -> Iterator[tuple[str, BaseModel]]:
    return ((w, m) for w, m in models(obj, where) if "citations" in type(m).model_fields)


def resting_on_pages_alone(pack: KnowledgePack) -> list[str]:
    bad = []
    for name, body in pack.sections.items():
        if name in WORDING_SECTIONS or name == "citations":
            continue
        for where, m in cited_models(body, name):
            ids = list(getattr(m, "citations", []) or [])
            if not ids or getattr(m, "expert_assigned", None) or not carries_a_number_or_rule(m):
                continue
            types = {pack.citations[c].evidence_type for c in ids if c in pack.citations}
            if types and types <= NOT_CLINICAL_SUPPORT:
                if isinstance(m, schema.Evidence):  # name evidence by its finding, not its position
                    where = re.sub(r"evidence\[\d+\]$", f"evidence:{m.finding}", where)
                bad.append(where)
    return bad


# Entries in files other helpers were rewriting when this test landed (issue 11); each one is fixed
# after their rewrite lands. The list may only shrink: a fixed entry left here fails the test.
PENDING: set[str] = set()


def test_no_number_or_rule_rests_on_a_patient_information_page_alone(pack: KnowledgePack) -> None:
    bad = set(resting_on_pages_alone(pack))
    assert not (bad - PENDING), (
        "cite a primary study or guideline, or set expert_assigned with the reason: " + ", ".join(sorted(bad - PENDING))
    )
    assert not (PENDING - bad), f"fixed; remove from PENDING: {sorted(PENDING - bad)}"


def test_expert_assigned_says_why(pack: KnowledgePack) -> None:
    for name, body in pack.sections.items():
        for where, m in cited_models(body, name):
            reason = getattr(m, "expert_assigned", None)
            if reason is not None:
                assert len(reason.split()) >= 4, f"{where}: expert_assigned needs the reason, not a flag"


# -- ordinal bands say who set them -----------------------------------------------------------------------

# Files being rewritten by the reasoning-model helper when this test landed (issue 10): their ordinal
# items get their basis after that rewrite lands. May only shrink.
PENDING_BASIS: set[str] = set()


def ordinal_without_basis(pack: KnowledgePack) -> dict[str, list[str]]:
    """Missing bases, grouped by the file they live in ('scoring' or the cause id)."""
    out: dict[str, list[str]] = {}
    for b in pack.scoring.ordinal_bands:
        if not b.basis:
            out.setdefault("scoring", []).append(f"scoring.ordinal_bands[{b.weight}]")
    for cid, cause in pack.causes.items():
        bad = out.setdefault(cid, [])
        for ev in cause.evidence:
            if ev.kind == "ordinal" and not ev.basis:
                bad.append(f"causes[{cid}].{ev.finding}")
        for window, tw in cause.timing.items():
            if not tw.basis:
                bad.append(f"causes[{cid}].timing.{window}")
    return {k: v for k, v in out.items() if v}


def test_every_ordinal_band_names_its_basis(pack: KnowledgePack) -> None:
    bad = ordinal_without_basis(pack)
    unexpected = [item for where, items in bad.items() if where not in PENDING_BASIS for item in items]
    assert not unexpected, "give `basis` (source of the direction; size expert-assigned): " + ", ".join(unexpected)
    assert not (PENDING_BASIS - set(bad)), f"fixed; remove from PENDING_BASIS: {sorted(PENDING_BASIS - set(bad))}"


def test_hti1_attributes_say_what_is_not_declared(pack: KnowledgePack) -> None:
    # An open-source project with no declared funding or contact says so; a pack that leaves an attribute out
    # gets "Not declared" in the output, never an empty field or an invented value.
    from revspine.knowledge.interventions import NOT_DECLARED, Intervention, source_attributes

    for a in source_attributes(pack):
        assert a.developer.startswith("The revspine project"), a.id
        assert a.funding_source.startswith("None declared"), a.id
        assert a.developer_contact.startswith(NOT_DECLARED), a.id
    bare = Intervention.model_validate({
        "id": "x", "name": "X", "sections": ["red_flags"], "intended_use": "u", "intended_users": "u",
        "developer": "A hospital", "first_released": "2026-01-01", "limitations": "l", "key_citations": ["Chou2007"],
    })
    assert bare.funding_source == NOT_DECLARED and bare.developer_contact == NOT_DECLARED
