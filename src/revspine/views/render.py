"""The one Jinja2 environment for the web pages and the PDF report.

Templates live in ``revspine/web/templates`` and the stylesheet in ``revspine/web/static``,
both package data. Autoescaping is on for every template; undefined names raise, so a
renamed field breaks a test instead of printing nothing.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .labels import fmt_num
from .timeline import TimelineView
from .timeline_svg import timeline_svg

__all__ = ["environment", "configure", "render", "stylesheet"]


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The shared stylesheet's text, for documents that must not fetch anything (the PDF)."""
    return resources.files("revspine").joinpath("web/static/revspine.css").read_text(encoding="utf-8")


def _timeline(view: Any, id_prefix: str = "timeline") -> Markup:
    """The timeline SVG of a TimelineView, or of its JSON (the page's JSON twin renders the same)."""
    if not isinstance(view, TimelineView):
        view = TimelineView.model_validate(view, from_attributes=True)
    return Markup(timeline_svg(view, id_prefix))  # every text in it is escaped by timeline_svg


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
    env.globals["stylesheet"] = stylesheet
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
