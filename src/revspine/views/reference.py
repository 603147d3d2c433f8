"""Generate the field-by-field reference of the view objects (docs/views.md) from the models.

    python -m revspine.views.reference docs/views.md    # rewrite the generated part in place

A test fails when docs/views.md differs from what this module generates.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from .assessment import AssessmentView
from .compare import ComparisonView

__all__ = ["ROOTS", "models_in_order", "field_paths", "type_name", "reference_markdown", "update_file", "BEGIN", "END"]

ROOTS: tuple[type[BaseModel], ...] = (AssessmentView, ComparisonView)
BEGIN = "<!-- BEGIN GENERATED: python -m revspine.views.reference docs/views.md -->"
END = "<!-- END GENERATED -->"


def _models_in(tp: Any) -> Iterator[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp
        return
    for arg in get_args(tp):
        yield from _models_in(arg)


def models_in_order(root: type[BaseModel]) -> list[type[BaseModel]]:
    """The root model and every model reachable from it, depth-first in field order."""
    seen: list[type[BaseModel]] = []

    def visit(m: type[BaseModel]) -> None:
        if m in seen:
            return
        seen.append(m)
        for f in m.model_fields.values():
            for sub in _models_in(f.annotation):
                visit(sub)

    visit(root)
    return seen


def field_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every field path of a model: `differential[].supporting[].lr` style."""
    out: set[str] = set()
    for name, f in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        out.add(path)
        origin = get_origin(f.annotation)
        for sub in _models_in(f.annotation):
            is_list = origin is list or any(get_origin(a) is list for a in get_args(f.annotation))
            out |= field_paths(sub, path + ("[]" if is_list else ""))
    return out


def type_name(tp: Any) -> str:
    """A field's type as a reader sees it in the JSON."""
    origin = get_origin(tp)
    if tp is type(None):
        return "null"
    if origin is Literal:
        return " \\| ".join(f'"{a}"' for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " \\| ".join(type_name(a) for a in get_args(tp))
    if origin is list:
        return f"list[{type_name(get_args(tp)[0])}]"
    if origin is dict:
        k, v = get_args(tp)
        return f"dict[{type_name(k)}, {type_name(v)}]"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", date: "date (YYYY-MM-DD)"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def reference_markdown() -> str:
    """The generated part of docs/views.md."""
    lines: list[str] = []
    done: set[type[BaseModel]] = set()
    for root in ROOTS:
        for m in models_in_order(root):
            if m in done:
                continue
            done.add(m)
            lines.append(f"### {m.__name__}")
            lines.append("")
            doc = (m.__doc__ or "").strip()
            if doc and not doc.startswith("Base of") and m.__doc__ is not BaseModel.__doc__:
                lines.append(_cell(doc))
                lines.append("")
            lines.append("| Field | Type | Description |")
            lines.append("| --- | --- | --- |")
            for name, f in m.model_fields.items():
                lines.append(f"| `{name}` | {type_name(f.annotation)} | {_cell(f.description or '')} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def update_file(path: Path) -> bool:
    """Rewrite the generated part of `path`; return True when it changed."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n\n{reference_markdown()}\n{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


if __name__ == "__main__":  # pragma: no cover
    changed = update_file(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/views.md"))
    print("updated" if changed else "up to date")
