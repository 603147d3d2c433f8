"""What changed in the case between two assessments, in clinical words.

Rows of the case's lists are matched by what they are, not by their position: an MRI of
2026-10-28 is the same study in both versions wherever it sits in the list, a CRP of 2026-10-01
the same lab. So a study added at the top does not show every later study as changed. Inside a
matched row each field that differs is one change; a row present on one side only is one change
that describes the whole row ("Recurrent disc herniation at L5-S1, left"). Every change keeps its
JSON path for the trace.

    >>> changes = case_differences(old_case, new_case, pack)
    >>> changes[0].label, changes[0].old, changes[0].new
    ('Examination › Temperature (°C)', '36.8', '38.9')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import Field

from ..case.model import Case
from ..knowledge import KnowledgePack
from .clinical import clinical_label, field_label, modality_label, procedure_label
from .sections import ViewModel

__all__ = ["CaseChange", "case_differences"]

Change = Literal["added", "removed", "changed"]


class CaseChange(ViewModel):
    label: str = Field(description="The case field or row in clinical words, e.g. `MRI of 2026-10-28 › Finding`")
    path: str = Field(description="JSON path of the case field or row (the trace), e.g. `imaging[0].findings[1]`")
    change: Change = Field(description="`added`, `removed` or `changed`")
    old: str | None = Field(description="Value before, in words; null when absent")
    new: str | None = Field(description="Value after, in words; null when absent")


#: What each part of the case is called, by schema path (list rows: what one row is).
_PARTS = {
    "patient": "Patient", "surgeries": "Prior surgery", "symptoms": "Symptoms", "exam": "Examination",
    "exam.motor": "Strength", "exam.sensory": "Sensory finding", "risk_factors": "Risk factors",
    "imaging": "Imaging study", "imaging.findings": "Finding", "labs": "Lab", "blocks": "Diagnostic block",
    "electrodiagnostics": "EMG/NCV", "cultures": "Culture", "questionnaires": "Questionnaires",
    "alignment": "Alignment", "instrument_responses": "Questionnaire response",
}
#: Fields whose text is the clinician's own words: shown as written, never turned into a label.
_FREE_TEXT = frozenset({"notes", "organism", "indication", "implants", "case_id"})
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _text(name: str, v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return ", ".join(_text(name, x) for x in v)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str) and name not in _FREE_TEXT and _CODE.match(v):
        return clinical_label(v)
    return str(v)


def _join(*bits: Any) -> str:
    return " ".join(str(b) for b in bits if b not in (None, "", []))


def _keys(pack: KnowledgePack | None) -> dict[str, Callable[[Mapping[str, Any]], str]]:
    """What identifies a row of each list: the same study, lab or operation in both versions."""
    def lab(r: Mapping[str, Any]) -> str:
        rule = pack.labs.get(str(r.get("test"))) if pack is not None else None
        return f"{rule.label if rule is not None else clinical_label(str(r.get('test')))} of {r.get('date')}"

    def side(r: Mapping[str, Any]) -> str:
        return clinical_label(str(r["side"])).lower() if r.get("side") else ""

    return {
        "surgeries": lambda r: _join(procedure_label(str(r.get("procedure"))), ", ".join(r.get("levels") or []),
                                     f"of {r.get('date')}"),
        "imaging": lambda r: f"{modality_label(str(r.get('modality')))} of {r.get('date')}",
        "imaging.findings": lambda r: _join(clinical_label(str(r.get("code"))), f"at {r['level']}" if r.get("level")
                                            else ""),
        "labs": lab,
        "cultures": lambda r: f"{clinical_label(str(r.get('specimen')))} culture of {r.get('date')}",
        "blocks": lambda r: _join(clinical_label(str(r.get("type"))), r.get("level"), side(r), f"of {r.get('date')}"),
        "electrodiagnostics": lambda r: _join("EMG/NCV", r.get("level"), side(r), f"of {r.get('date')}"),
        "exam.motor": lambda r: _join("Strength", r.get("myotome"), side(r)),
        "exam.sensory": lambda r: _join(clinical_label(str(r.get("distribution"))), r.get("root"), side(r)),
        "instrument_responses": lambda r: f"{clinical_label(str(r.get('instrument')))} of {r.get('date')}",
    }


def _under(parent: str, part: str) -> str:
    """``parent › part``; a part that repeats its parent's last word ("Symptoms › Symptoms") is said once."""
    if not parent:
        return part
    return parent if parent.rsplit(" › ", 1)[-1] == part else f"{parent} › {part}"


def _value(row: Mapping[str, Any], name: str) -> Any:
    v = row.get(name)
    return None if v in ([], {}) or (name == "comparator" and v == "=") else v  # "=": as measured, the default


class _Differ:
    def __init__(self, pack: KnowledgePack | None):
        self.keys = _keys(pack)
        self.out: list[CaseChange] = []

    def describe(self, schema: str, row: Mapping[str, Any]) -> str:
        """A whole row in words: what it is, then its other fields."""
        key = self.keys.get(schema)
        rest = []
        for name in row:
            v = _value(row, name)
            if v is None or isinstance(v, Mapping) or (key and name in _KEY_FIELDS.get(schema, ())):
                continue
            sub = f"{schema}.{name}"
            if isinstance(v, list) and isinstance(v[0], Mapping):
                key_of = self.keys.get(sub)
                rest.append(f"{field_label(name).lower()}: " + (", ".join(key_of(r) for r in v) if key_of
                                                                  else str(len(v))))
            else:
                text = _text(name, v)
                rest.append(f"{field_label(name).lower()} {text.lower() if text[1:].islower() else text}")
        if not key:
            return "; ".join(rest)
        return key(row) + (" (" + "; ".join(rest) + ")" if rest else "")

    def rows(self, schema: str, items: list[Any], path: str) -> dict[str, tuple[str, Mapping[str, Any]]]:
        """The rows of a list by identity (a repeat of the same identity gets " (2)", " (3)"...)."""
        key = self.keys.get(schema)
        out: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for i, row in enumerate(items):
            if not isinstance(row, Mapping):
                continue
            name = key(row) if key else f"{_PARTS.get(schema, field_label(schema))} {i + 1}"
            n, unique = 1, name
            while unique in out:
                n += 1
                unique = f"{name} ({n})"
            out[unique] = (f"{path}[{i}]", row)
        return out

    def mapping(self, a: Mapping[str, Any], b: Mapping[str, Any], schema: str, path: str, label: str) -> None:
        for k in [*a, *(k for k in b if k not in a)]:
            va, vb = _value(a, k), _value(b, k)
            sub, where = f"{schema}.{k}" if schema else k, f"{path}.{k}" if path else k
            if _is_rows(va, vb):
                self.list_rows(va or [], vb or [], sub, where, label)
            elif isinstance(va, Mapping) or isinstance(vb, Mapping):
                self.mapping(va if isinstance(va, Mapping) else {}, vb if isinstance(vb, Mapping) else {}, sub,
                             where, _under(label, _PARTS.get(sub, field_label(k))))
            elif va != vb:
                change: Change = "changed" if va is not None and vb is not None else (
                    "added" if vb is not None else "removed")
                self.out.append(CaseChange(label=_under(label, field_label(k)), path=where, change=change,
                                           old=None if va is None else _text(k, va),
                                           new=None if vb is None else _text(k, vb)))

    def list_rows(self, a: list[Any], b: list[Any], schema: str, path: str, parent: str) -> None:
        ra, rb = self.rows(schema, a, path), self.rows(schema, b, path)
        part = _PARTS.get(schema, field_label(schema.rsplit(".", 1)[-1]))
        for key in [*ra, *(k for k in rb if k not in ra)]:
            if key in ra and key in rb:
                self.mapping(ra[key][1], rb[key][1], schema, rb[key][0], _under(parent, key))
                continue
            where, row = rb.get(key) or ra[key]
            text = self.describe(schema, row)
            self.out.append(CaseChange(label=_under(parent, part), path=where,
                                       change="added" if key in rb else "removed",
                                       old=None if key in rb else text, new=text if key in rb else None))


#: The fields a row's identity already names (not repeated when the whole row is described).
_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "surgeries": ("procedure", "levels", "date"), "imaging": ("modality", "date"),
    "imaging.findings": ("code", "level"), "labs": ("test", "date"), "cultures": ("specimen", "date"),
    "blocks": ("type", "level", "side", "date"), "electrodiagnostics": ("level", "side", "date"),
    "exam.motor": ("myotome", "side"), "exam.sensory": ("distribution", "root", "side"),
    "instrument_responses": ("instrument", "date"),
}


def _is_rows(a: Any, b: Any) -> bool:
    return any(isinstance(x, list) and any(isinstance(y, Mapping) for y in x) for x in (a, b))


def _case_dict(case: Case | Mapping[str, Any] | None) -> dict[str, Any]:
    if case is None:
        return {}
    if isinstance(case, Case):
        return case.model_dump(mode="json", exclude_none=True)
    return dict(case)


def case_differences(old: Case | Mapping[str, Any] | None, new: Case | Mapping[str, Any] | None,
                     pack: KnowledgePack | None = None) -> list[CaseChange]:
    """The case fields and rows that differ between two case snapshots, in clinical words, in case order.

    ``pack`` names lab tests as the knowledge pack does ("C-reactive protein"); without it, by code."""
    d = _Differ(pack)
    d.mapping(_case_dict(old), _case_dict(new), "", "", "")
    return d.out
