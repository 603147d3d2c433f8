"""Walk FHIR JSON as plain dicts: bundles (any type, nested), entries, references, dates, codings.

No model validation on this path. Structural faults that make a document unreadable
(an entry that is not an object, a resource without resourceType, a CodeableConcept
that is a string...) are collected as problems naming the resource and the FHIR path;
the reader raises them together as one InputError.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import InputError, Problem
from .report import MappingReport

__all__ = ["Entry", "Problems", "iter_entries", "patient_key", "parse_date", "Ctx"]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(slots=True)
class Entry:
    """One resource found in the input, with where it was."""

    resource: dict[str, Any]
    rtype: str
    rid: str | None
    path: str  # JSON path of the resource, e.g. entry[3].resource
    full_url: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.rtype}/{self.rid}" if self.rid else self.rtype


@dataclass
class Problems:
    """Structural faults found while walking; raised together as one InputError."""

    items: list[Problem] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        if len(self.items) < 200:
            self.items.append(Problem(path, message))

    def raise_if_any(self, what: str = "the FHIR input is malformed") -> None:
        if self.items:
            raise InputError(what, list(self.items))


class Ctx:
    """Typed access to one resource's elements; faults go to Problems with the FHIR path."""

    __slots__ = ("entry", "problems")

    def __init__(self, entry: Entry, problems: Problems):
        self.entry = entry
        self.problems = problems

    def where(self, fhir_path: str) -> str:
        e = self.entry
        return f"{e.path} ({e.ref}: {fhir_path})"

    def fault(self, fhir_path: str, message: str) -> None:
        self.problems.add(self.where(fhir_path), message)

    def obj(self, parent: dict[str, Any], key: str, fhir_path: str) -> dict[str, Any] | None:
        v = parent.get(key)
        if v is None:
            return None
        if not isinstance(v, dict):
            self.fault(fhir_path, f"must be a JSON object, not {type(v).__name__}")
            return None
        return v

    def arr(self, parent: dict[str, Any], key: str, fhir_path: str) -> list[Any]:
        v = parent.get(key)
        if v is None:
            return []
        if not isinstance(v, list):
            self.fault(fhir_path, f"must be a JSON array, not {type(v).__name__}")
            return []
        return v

    def text(self, parent: dict[str, Any], key: str, fhir_path: str) -> str | None:
        v = parent.get(key)
        if v is None:
            return None
        if not isinstance(v, str):
            self.fault(fhir_path, f"must be a string, not {type(v).__name__}")
            return None
        return v

    def codings(self, cc: dict[str, Any] | None, fhir_path: str) -> list[dict[str, Any]]:
        """The codings of a CodeableConcept (dicts with system/code/display, type-checked)."""
        if cc is None:
            return []
        out = []
        for i, c in enumerate(self.arr(cc, "coding", f"{fhir_path}.coding")):
            if not isinstance(c, dict):
                self.fault(f"{fhir_path}.coding[{i}]", "must be a Coding object")
                continue
            code = c.get("code")
            if code is not None and not isinstance(code, str):
                self.fault(f"{fhir_path}.coding[{i}].code", "must be a string")
                continue
            out.append(c)
        return out

    def concept(self, parent: dict[str, Any], key: str, fhir_path: str) -> tuple[list[dict[str, Any]], str | None]:
        cc = self.obj(parent, key, fhir_path)
        if cc is None:
            return [], None
        return self.codings(cc, fhir_path), self.text(cc, "text", f"{fhir_path}.text")

    def number(self, parent: dict[str, Any], key: str, fhir_path: str) -> float | None:
        v = parent.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fault(fhir_path, f"must be a number, not {type(v).__name__}")
            return None
        return float(v)


def parse_date(value: Any) -> tuple[date | None, str]:
    """A FHIR date/dateTime/instant -> (date, precision 'day'|'month'|'year'|'none').

    Partial dates are returned as the first day of the period they name.
    """
    if not isinstance(value, str):
        return None, "none"
    m = _DATE.match(value)
    if not m:
        return None, "none"
    y, mo, d = m.group(1), m.group(2), m.group(3)
    try:
        return date(int(y), int(mo or 1), int(d or 1)), ("day" if d else "month" if mo else "year")
    except ValueError:
        return None, "none"


def patient_key(reference: Any) -> str | None:
    """Normalise a patient reference: Patient/1, https://x/fhir/Patient/1 -> Patient/1; urn:uuid:x stays."""
    if not isinstance(reference, str) or not reference:
        return None
    if reference.startswith("urn:"):
        return reference
    parts = reference.rstrip("/").split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] == "Patient":
        return f"Patient/{parts[-1]}"
    return reference


def iter_entries(doc: dict[str, Any], report: MappingReport, problems: Problems, path: str = "",
                 depth: int = 0) -> Iterator[Entry]:
    """Every resource in a Bundle (any type), descending into Bundles inside Bundles.

    Entries without a resource (batch-response statuses, requests of a batch) are noted
    in the report; structural faults go to ``problems``.
    """
    prefix = f"{path}." if path else ""
    entries = doc.get("entry")
    if entries is None:
        return
    if not isinstance(entries, list):
        problems.add(f"{prefix}entry (Bundle.entry)", "must be a JSON array")
        return
    for i, item in enumerate(entries):
        epath = f"{prefix}entry[{i}]"
        if not isinstance(item, dict):
            problems.add(f"{epath} (Bundle.entry[{i}])", "must be a JSON object")
            continue
        res = item.get("resource")
        full_url = item.get("fullUrl") if isinstance(item.get("fullUrl"), str) else None
        if res is None:
            what = "a request" if "request" in item else "a response status" if "response" in item else "nothing"
            report.note("not_mapped", "Bundle.entry", None, epath, f"Bundle.entry[{i}]",
                        f"the entry carries no resource (it holds {what})")
            continue
        if not isinstance(res, dict):
            problems.add(f"{epath}.resource (Bundle.entry[{i}].resource)", "must be a JSON object")
            continue
        rtype = res.get("resourceType")
        if not isinstance(rtype, str) or not rtype:
            problems.add(f"{epath}.resource.resourceType (Bundle.entry[{i}].resource)", "resourceType is missing")
            continue
        rid = res.get("id")
        if rid is not None and not isinstance(rid, str):
            problems.add(f"{epath}.resource.id ({rtype}.id)", "must be a string")
            rid = None
        if rtype == "Bundle" and depth < 8:
            report.resources["Bundle"] += 1
            yield from iter_entries(res, report, problems, f"{epath}.resource", depth + 1)
            continue
        yield Entry(res, rtype, rid, f"{epath}.resource", full_url)
