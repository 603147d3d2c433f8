"""Named predicates: the only Python behind a finding.

A finding in the knowledge pack names one predicate and its parameters. A predicate
returns None when the finding is not present, or the list of inputs (with their JSON
paths) that make it present. Parameters are validated at pack load time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..case.model import Case
from ..knowledge.schema import Finding
from .facts import Facts

__all__ = ["PREDICATES", "compile_finding", "check_finding", "Hit"]

Hit = list[str] | None


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Compare(_P):
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def ok(self, v: float) -> bool:
        return (
            (self.gt is None or v > self.gt)
            and (self.ge is None or v >= self.ge)
            and (self.lt is None or v < self.lt)
            and (self.le is None or v <= self.le)
        )


class ImagingP(Compare):
    codes: list[str]
    modalities: list[str] | None = None
    scope: Literal["any", "operated", "adjacent", "not_operated"] = "any"


class FieldP(Compare):
    path: str
    equals: Any = None
    one_of: list[Any] | None = None


class FieldsP(_P):
    """All of several field conditions (e.g. the two parts of a published criterion)."""

    all: list[FieldP]


class SymptomP(_P):
    any: list[str]
    absent: bool = False  # hit when symptoms are recorded and none of `any` is among them


class ImagingAbsentP(_P):
    """A study of these modalities, after the index operation and not limited by artefact, shows none of the codes."""

    codes: list[str]
    modalities: list[str]
    scope: Literal["any", "operated"] = "any"


class CultureP(_P):
    specimens: list[Literal["biopsy", "tissue", "sonication", "wound", "blood"]]
    results: list[Literal["positive", "negative", "pending"]]


class LabP(_P):
    test: str
    status: list[
        Literal["normal", "raised", "raised_expected", "raised_beyond_expected", "low", "second_rise"]
    ]


class BlockP(Compare):
    types: list[str]
    paradigms: list[str] | None = None
    field: Literal["relief_percent"] = "relief_percent"


class EmgP(_P):
    results: list[str]


class ProcedureP(_P):
    any: list[str] | None = None
    regions: list[Literal["cervical", "thoracic", "lumbar"]] | None = None
    instrumented: bool | None = None
    index_only: bool = False
    levels_any: list[str] | None = None


class CountP(Compare):
    pass


class DaysP(Compare):
    basis: Literal["onset", "assessment"] = "assessment"


def _get(case: Case, path: str) -> Any:
    obj: Any = case
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _val(v: Any) -> Any:
    return getattr(v, "value", v)


def _imaging(f: Facts, p: ImagingP) -> Hit:
    hits: list[str] = []
    for i, study in enumerate(f.case.imaging):
        mod = study.modality.value
        if p.modalities and mod not in p.modalities:
            continue
        for j, fnd in enumerate(study.findings):
            if fnd.code.value not in p.codes:
                continue
            if fnd.value is not None:
                if not Compare.ok(p, fnd.value):
                    continue
            elif any(x is not None for x in (p.gt, p.ge, p.lt, p.le)):
                continue
            lv = fnd.level
            if p.scope == "operated" and lv is not None and lv not in f.operated_levels:
                continue
            if p.scope == "adjacent" and (lv is None or lv not in f.adjacent_to_fusion):
                continue
            if p.scope == "not_operated" and (lv is None or lv in f.operated_levels):
                continue
            q = f" {fnd.value:g} {fnd.unit}" if fnd.value is not None else ""
            at = f" at {lv}" if lv else ""
            hits.append(f"imaging[{i}].findings[{j}]: {mod} {study.date} {fnd.code.value}{at}{q}")
    return hits or None


def _field(f: Facts, p: FieldP) -> Hit:
    v = _get(f.case, p.path)
    if v is None:
        return None
    raw = _val(v)
    if p.equals is not None and raw != p.equals:
        return None
    if p.one_of is not None and raw not in p.one_of:
        return None
    if any(x is not None for x in (p.gt, p.ge, p.lt, p.le)):
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not p.ok(raw):
            return None
    if p.equals is None and p.one_of is None and isinstance(raw, bool) and not raw:
        return None
    return [f"{p.path} = {raw}"]


def _fields(f: Facts, p: FieldsP) -> Hit:
    used: list[str] = []
    for item in p.all:
        h = _field(f, item)
        if not h:
            return None
        used += h
    return used


def _symptom(f: Facts, p: SymptomP) -> Hit:
    recorded = f.case.symptoms.symptoms
    have = [s.value for s in recorded if s.value in p.any]
    if p.absent:
        return None if have or not recorded else [f"symptoms.symptoms lists none of {', '.join(p.any)}"]
    return [f"symptoms.symptoms contains {s}" for s in have] or None


def _imaging_absent(f: Facts, p: ImagingAbsentP) -> Hit:
    after = f.index.date if f.index is not None else None
    studies = [
        (i, s) for i, s in enumerate(f.case.imaging)
        if s.modality.value in p.modalities and not s.limited_by_artefact and (after is None or s.date >= after)
    ]
    if not studies:
        return None
    for _, study in studies:
        for fnd in study.findings:
            if fnd.code.value not in p.codes:
                continue
            if p.scope == "operated" and fnd.level is not None and fnd.level not in f.operated_levels:
                continue
            return None
    where = " at the operated levels" if p.scope == "operated" else ""
    return [f"imaging[{i}]: {s.modality.value} {s.date} shows none of {', '.join(p.codes)}{where}" for i, s in studies]


def _culture(f: Facts, p: CultureP) -> Hit:
    hits = [
        f"cultures[{i}]: {c.specimen} {c.date} {c.result}" + (f" ({c.organism})" if c.organism else "")
        for i, c in enumerate(f.case.cultures)
        if c.specimen in p.specimens and c.result in p.results
    ]
    return hits or None


def _lab(f: Facts, p: LabP) -> Hit:
    reads = f.lab_reads.get(p.test, [])
    hits = [f"{r.path}: {r.test} {r.value:g} {r.unit} ({r.status})" for r in reads[-1:] if r.status in p.status]
    if "second_rise" in p.status:
        hits += [f"{r.path}: {r.test} second rise" for r in reads if r.status == "second_rise"]
    return hits or None


def _block(f: Facts, p: BlockP) -> Hit:
    hits = []
    for i, b in enumerate(f.case.blocks):
        if b.type.value not in p.types:
            continue
        if p.paradigms and b.paradigm not in p.paradigms:
            continue
        if not p.ok(b.relief_percent):
            continue
        at = f" {b.level}" if b.level else ""
        hits.append(f"blocks[{i}]: {b.type.value}{at} {b.relief_percent:g}% relief ({b.paradigm})")
    return hits or None


def _emg(f: Facts, p: EmgP) -> Hit:
    hits = [
        f"electrodiagnostics[{i}]: {e.result.value}"
        for i, e in enumerate(f.case.electrodiagnostics)
        if e.result.value in p.results
    ]
    return hits or None


def _procedure(f: Facts, p: ProcedureP) -> Hit:
    surgeries = [(f.index_position, f.index)] if p.index_only and f.index else list(enumerate(f.case.surgeries))
    hits = []
    for i, s in surgeries:
        if s is None:
            continue
        if p.any and s.procedure.value not in p.any:
            continue
        if p.regions and s.region.value not in p.regions:
            continue
        if p.instrumented is not None and bool(s.instrumented) != p.instrumented:
            continue
        if p.levels_any and not set(p.levels_any) & set(s.levels):
            continue
        hits.append(f"surgeries[{i}]: {s.procedure.value} {' '.join(s.levels)} {s.date}")
    return hits or None


def _surgery_count(f: Facts, p: CountP) -> Hit:
    n = f.surgery_count
    return [f"surgeries: {n} operations"] if n and p.ok(n) else None


def _days(f: Facts, p: DaysP) -> Hit:
    d = f.onset_days if p.basis == "onset" else f.days_since_index
    if d is None or not p.ok(d):
        return None
    return [f"{'onset' if p.basis == 'onset' else 'assessment'} {d} days after surgery"]


PREDICATES: dict[str, tuple[type[_P], Callable[[Facts, Any], Hit]]] = {
    "imaging": (ImagingP, _imaging),
    "imaging_absent": (ImagingAbsentP, _imaging_absent),
    "culture": (CultureP, _culture),
    "field": (FieldP, _field),
    "fields": (FieldsP, _fields),
    "symptom": (SymptomP, _symptom),
    "lab": (LabP, _lab),
    "block": (BlockP, _block),
    "emg": (EmgP, _emg),
    "procedure": (ProcedureP, _procedure),
    "surgery_count": (CountP, _surgery_count),
    "days_after_surgery": (DaysP, _days),
}

def check_finding(finding: Finding) -> str | None:
    """Validate a finding's predicate name and parameters; return a message or None."""
    entry = PREDICATES.get(finding.predicate)
    if entry is None:
        return f"unknown predicate '{finding.predicate}'; known: {', '.join(sorted(PREDICATES))}"
    model, _ = entry
    try:
        params = model.model_validate(finding.params)
    except ValidationError as exc:
        return "; ".join(f"params.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    items = [params] if isinstance(params, FieldP) else list(params.all) if isinstance(params, FieldsP) else []
    for item in items:
        if not _resolve_path(item.path):
            return f"params.path '{item.path}' is not a field of the case"
    return None


def _resolve_path(path: str) -> bool:
    """True when every part of a dotted path is a field (or property) of the case model."""
    model: Any = Case
    for part in path.split("."):
        fields = getattr(model, "model_fields", None)
        if fields is None:
            return False
        if part not in fields:
            return isinstance(getattr(model, part, None), property)
        ann = fields[part].annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if hasattr(a, "model_fields")), ann)
    return True


def compile_finding(finding: Finding) -> Callable[[Facts], Hit]:
    """Bind a finding's predicate to its validated parameters (done once, at load)."""
    model, fn = PREDICATES[finding.predicate]
    params = model.model_validate(finding.params)

    def run(facts: Facts) -> Hit:
        return fn(facts, params)

    return run
