"""Printable reports of an assessment."""

from .pdf import assessment_pdf, report_html

__all__ = ["assessment_pdf", "report_html"]
