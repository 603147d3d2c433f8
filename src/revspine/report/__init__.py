"""Printable reports: the assessment for the chart, and the handout for the patient."""

from .pdf import assessment_pdf, handout_html, handout_pdf, report_html

__all__ = ["assessment_pdf", "report_html", "handout_pdf", "handout_html"]
