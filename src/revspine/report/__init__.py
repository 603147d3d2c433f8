"""Printable reports: the chart copy (two pages) and the full report of an assessment, and the patient handout."""

from .pdf import assessment_pdf, chart_html, chart_pdf, handout_html, handout_pdf, report_html

__all__ = ["assessment_pdf", "report_html", "chart_pdf", "chart_html", "handout_pdf", "handout_html"]
