"""The assessment as a PDF for the chart, rendered by WeasyPrint from `report.html`.

The document is self-contained (inline stylesheet and SVG, system fonts); the URL
fetcher refuses everything but inline ``data:`` URLs, so rendering never touches the
network or the file system. WeasyPrint needs Debian's Pango at run time
(``libpango-1.0-0``, ``libpangoft2-1.0-0``).
"""

from __future__ import annotations

import logging
from typing import Any

from ..views.assessment import AssessmentView
from ..views.chart import ChartHeaderView
from ..views.patient import HandoutView
from ..views.render import render

__all__ = ["pdf_from_html", "assessment_pdf", "report_html", "chart_pdf", "chart_html", "handout_pdf",
           "handout_html", "RefusingFetcher"]


def report_html(view: AssessmentView) -> str:
    """The full HTML document the PDF is made from."""
    return render("report.html", view=view)


def chart_html(view: AssessmentView, head: ChartHeaderView) -> str:
    """The chart copy as one self-contained HTML document (two A4 pages when printed)."""
    return render("report_chart.html", view=view, head=head)


def _fetcher_base() -> type:
    from weasyprint.urls import URLFetcher

    return URLFetcher  # type: ignore[no-any-return]


class RefusingFetcher(_fetcher_base()):  # type: ignore[misc]
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and refuses every other URL."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",))
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"revspine reports fetch nothing: refused {url[:80]}")
        return super().fetch(url, headers)


def handout_html(handout: HandoutView, *, with_script: bool = False) -> str:
    """The patient handout as one self-contained HTML document (print it, or make the PDF from it).
    ``with_script`` adds the web app's script (the print button) for the page served in a browser."""
    return render("handout.html", handout=handout, with_script=with_script)


def pdf_from_html(document: str) -> bytes:
    """A self-contained HTML document as PDF bytes (the renderer fetches nothing)."""
    from weasyprint import HTML

    # WeasyPrint logs every CSS property it does not know at WARNING; the stylesheet is
    # shared with browsers, so keep those out of the application's logs.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = RefusingFetcher()
    pdf = HTML(string=document, base_url=None, url_fetcher=fetcher).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def assessment_pdf(view: AssessmentView) -> bytes:
    """The full report (every section) as PDF bytes."""
    return pdf_from_html(report_html(view))


def chart_pdf(view: AssessmentView, head: ChartHeaderView) -> bytes:
    """The chart copy as PDF bytes: the bottom line and a signature line on page 1, details on page 2."""
    return pdf_from_html(chart_html(view, head))


def handout_pdf(handout: HandoutView) -> bytes:
    """The patient handout as PDF bytes."""
    return pdf_from_html(handout_html(handout))
