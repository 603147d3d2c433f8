"""The bridge to the view layer (:mod:`revspine.views`, :mod:`revspine.report.pdf`).

Until the view layer is installed these fall back to plain renderings of the Assessment JSON.
"""

from __future__ import annotations

import html
from typing import Any

from ..engine.result import Assessment

__all__ = ["assessment_view", "compare_view", "pdf_bytes"]


def assessment_view(result: dict[str, Any], input_case: dict[str, Any]) -> dict[str, Any]:
    return {}


def compare_view(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    return {"decision_changed": older["decision"]["category"] != newer["decision"]["category"]}


def pdf_bytes(result: dict[str, Any], meta: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    from ..cli.render import to_markdown

    text = to_markdown(Assessment.model_validate(result))
    title = html.escape(str(meta.get("patient", "")))
    doc = f"<html><body><h1>{title}</h1><pre>{html.escape(text)}</pre></body></html>"
    return bytes(HTML(string=doc).write_pdf())
