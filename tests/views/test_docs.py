"""docs/views.md is generated from the view models and kept up to date."""

from __future__ import annotations

from pathlib import Path

from revspine.views import AssessmentView, ComparisonView
from revspine.views.reference import BEGIN, END, models_in_order, reference_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "views.md"


def test_docs_views_md_is_up_to_date():
    text = DOC.read_text(encoding="utf-8")
    generated = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert generated == reference_markdown().strip(), "run: python -m revspine.views.reference docs/views.md"


def test_documented_fields_are_exactly_the_models_fields():
    text = DOC.read_text(encoding="utf-8")
    for root in (AssessmentView, ComparisonView):
        for m in models_in_order(root):
            block = text.split(f"### {m.__name__}\n", 1)[1].split("\n### ", 1)[0]
            documented = [line.split("`")[1] for line in block.splitlines() if line.startswith("| `")]
            assert documented == list(m.model_fields), m.__name__
