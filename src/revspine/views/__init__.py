"""Pure views: documented objects built from an Assessment, and the templates that render them.

    >>> view = build_assessment_view(assessment, case, patient_label="Bed 4")
    >>> html = render("_assessment.html", view=view)       # the page's partial
    >>> data = view.model_dump(mode="json")                  # its JSON twin

No routes, storage or I/O beyond rendering: the web app and the PDF report call these.
"""

from .assessment import AssessmentView, build_assessment_view
from .compare import ComparisonView, compare_assessments
from .render import configure, environment, render, stylesheet
from .timeline import TimelineView, build_timeline
from .timeline_svg import timeline_svg

__all__ = [
    "AssessmentView",
    "build_assessment_view",
    "ComparisonView",
    "compare_assessments",
    "TimelineView",
    "build_timeline",
    "timeline_svg",
    "render",
    "environment",
    "configure",
    "stylesheet",
]
