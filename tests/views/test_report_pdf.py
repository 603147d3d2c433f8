"""The PDF for the chart: every section, patient, date, versions and citations, read back with pypdf."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from revspine.report import assessment_pdf, report_html
from revspine.report.pdf import RefusingFetcher

from .conftest import Built


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture(scope="module")
def pdf_text(infection: Built) -> str:
    pdf = assessment_pdf(infection.view)
    assert pdf.startswith(b"%PDF-")
    return _text(pdf)


def _squash(s: str) -> str:
    """Compare without spaces: PDF text extraction splits and joins words at line ends."""
    return re.sub(r"\s+", "", s)


def test_pdf_names_patient_date_and_versions(pdf_text: str, infection: Built):
    v = infection.view
    assert "Ward 7 bed 3" in pdf_text
    assert str(v.assessment_date) in pdf_text
    assert f"revspine {v.versions.engine}" in pdf_text
    assert f"{v.versions.knowledge_id} {v.versions.knowledge}" in pdf_text


def test_pdf_has_every_section_heading_in_order(pdf_text: str, infection: Built):
    positions = [pdf_text.find(s.title) for s in infection.view.sections]
    assert -1 not in positions, [s.title for s, p in zip(infection.view.sections, positions, strict=True) if p < 0]


def test_pdf_shows_the_leading_cause_red_flags_and_decision(pdf_text: str, infection: Built):
    v = infection.view
    flat = _squash(pdf_text)
    assert _squash(v.differential[0].label) in flat
    for r in v.red_flags:
        assert _squash(r.label) in flat and _squash(r.action) in flat
    assert _squash(v.decision.headline) in flat
    for w in v.workup:
        assert _squash(w.label) in flat


def test_pdf_writes_every_citation_out(pdf_text: str, infection: Built):
    flat = _squash(pdf_text)
    for c in infection.view.citations:
        assert _squash(c.id) in flat
        assert _squash(c.text[:40]) in flat, c.id


def test_report_is_self_contained(infection: Built):
    doc = report_html(infection.view)
    assert "<link" not in doc and "@import" not in doc and "url(" not in doc
    assert not re.search(r'\ssrc=["\']', doc)


def test_fetcher_refuses_remote_and_local_urls():
    f = RefusingFetcher()
    for url in ("https://example.org/font.woff", "file:///etc/passwd", "http://127.0.0.1/x.png"):
        with pytest.raises(ValueError, match="refused"):
            f.fetch(url)
    assert len(f.refused) == 3
