"""The one Jinja2 environment for the web pages and the PDF report.

Templates live in ``revspine/web/templates`` and the stylesheet in ``revspine/web/static``,
both package data. Autoescaping is on for every template; undefined names raise, so a
renamed field breaks a test instead of printing nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .clinical import clinical_label
from .labels import fmt_num
from .lordosis_svg import lordosis_chart_svg
from .plan_sections import AlignmentView
from .timeline import TimelineView
from .timeline_svg import timeline_svg

__all__ = ["environment", "configure", "render", "stylesheet", "inline_svg", "SVG_WITHHELD"]

SVG_WITHHELD = "(drawing withheld: it did not look like a revspine drawing)"
_SVG_START = re.compile(r'\A<svg xmlns="http://www.w3.org/2000/svg"[ >]')
_SVG_UNSAFE = re.compile(
    r"<\s*(script|foreignobject|iframe|object|embed|image|use|a|style)\b|\bon[a-z]+\s*=|href|url\(|javascript:|<!|<\?",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The shared stylesheet's text, for documents that must not fetch anything (the PDF)."""
    return resources.files("revspine").joinpath("web/static/revspine.css").read_text(encoding="utf-8")


def _timeline(view: Any, id_prefix: str = "timeline") -> Markup:
    """The timeline SVG of a TimelineView, or of its JSON (the page's JSON twin renders the same)."""
    if not isinstance(view, TimelineView):
        view = TimelineView.model_validate(view, from_attributes=True)
    return Markup(timeline_svg(view, id_prefix))  # every text in it is escaped by timeline_svg


def inline_svg(markup: str | None) -> Markup:
    """A drawing from the view (sagittal profile, outcome trend) as markup, checked first.

    The views draw these SVGs themselves with every text escaped. A view can also come back as
    JSON from elsewhere, so the markup is put on the page only when it is one plain <svg> element
    with nothing active in it: no script, event handler, link, external reference or style."""
    if not markup:
        return Markup("")
    ok = (_SVG_START.match(markup) and markup.endswith("</svg>") and markup.count("<svg") == 1
          and not _SVG_UNSAFE.search(markup))
    return Markup(markup) if ok else Markup('<p class="rs-none">{}</p>').format(SVG_WITHHELD)


def _lordosis(view: Any) -> Markup:
    """The lordosis-targets chart of an AlignmentView, or of its JSON."""
    if not isinstance(view, AlignmentView):
        view = AlignmentView.model_validate(view, from_attributes=True)
    return Markup(lordosis_chart_svg(view))  # every text in it is escaped by lordosis_chart_svg


def _signed(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    s = fmt_num(abs(value), digits)
    return ("+" if value > 0 else "−" if value < 0 else "±") + s


def configure(env: Environment) -> Environment:
    """Add the filters and globals the revspine templates use to any Jinja2 environment."""
    env.filters["num"] = fmt_num
    env.filters["signed"] = _signed
    env.globals["timeline_svg"] = _timeline
    env.globals["lordosis_chart"] = _lordosis
    env.globals["inline_svg"] = inline_svg
    env.globals["stylesheet"] = stylesheet
    env.globals["clinical_label"] = clinical_label
    env.filters["clinical"] = clinical_label
    return env


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared environment: autoescape on, strict undefined, revspine filters and globals."""
    env = Environment(
        loader=PackageLoader("revspine", "web/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return configure(env)


def render(template_name: str, /, **ctx: Any) -> str:
    """Render one template of ``revspine/web/templates`` with the given context."""
    return environment().get_template(template_name).render(**ctx)
