"""The chart copy: at most two A4 pages, the decision and a signature line on page 1, no trace.

Read back with pypdf for every example case and every fixed view case.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from pypdf import PdfReader

from revspine.pipeline import Assessment
from revspine.report import chart_pdf
from revspine.views.chart import ChartHeaderView

from .conftest import Built, case_paths

JSON_PATH = re.compile(r"\b[a-z_]+\[\d+\]")


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _rule_ids(a: Assessment) -> set[str]:
    ids = {r.rule_id for r in a.red_flags} | {a.decision.rule_id} | {r.rule_id for r in a.labs}
    ids |= {r.rule_id for r in a.risk_factors} | {o.rule_id for o in a.decision.non_surgical_options}
    ids |= {x.rule_id for w in (*a.workup, *a.workup_deferred) for x in w.reasons}
    ids |= {e.rule_id for c in (*a.differential, *a.mimics) for e in (*c.supporting, *c.opposing)}
    return {i for i in ids if "." in i}


def _head(b: Built) -> ChartHeaderView:
    p = b.case.patient
    return ChartHeaderView(
        patient_name="Maria Example", age=p.age, sex=p.sex.value if p.sex else None, mrn="MRN-4711",
        birth_date=None, clinician="Dr Alice Surgeon", clinic="Spine Clinic", assessment_date=b.view.assessment_date,
        printed_at=datetime(2026, 12, 7, 9, 30), engine=b.view.versions.engine, knowledge="core 1",
    )


@pytest.mark.parametrize("name", [p.stem for p in case_paths()])
def test_chart_copy_is_two_pages_with_decision_and_signature_on_page_1_and_no_trace(built_cases: list[Built],
                                                                                    name: str):
    for b in (b for b in built_cases if b.name == name):
        pdf = chart_pdf(b.view, _head(b))
        pages = PdfReader(io.BytesIO(pdf)).pages
        assert 1 <= len(pages) <= 2, (b.name, len(pages))
        first = _squash(pages[0].extract_text() or "")
        text = _squash(" ".join(p.extract_text() or "" for p in pages))
        assert _squash("Decision: " + b.view.decision.headline) in first, b.name
        assert "Signature" in first and "Reviewedby" in first, b.name
        for needle in ("MariaExample", "MRN-4711", "DrAliceSurgeon", "2026-12-0709:30", b.view.versions.engine):
            assert needle in first, (b.name, needle)
        for r in b.view.red_flags:
            assert _squash(r.label) in first, (b.name, r.label)
        for c in b.view.bottom_line.causes:
            assert _squash(c.label) in first, (b.name, c.label)
        leaked = [i for i in _rule_ids(b.assessment) if i in text]
        assert not leaked, (b.name, leaked)
        raw = " ".join(p.extract_text() or "" for p in pages)
        assert not JSON_PATH.search(raw), (b.name, JSON_PATH.search(raw))
