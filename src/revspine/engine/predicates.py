"""Named predicates: the only Python behind a finding.

A finding in the knowledge pack names one predicate and its parameters. A predicate
returns None when the finding is not present, or the list of inputs (with their JSON
paths) that make it present. Parameters are validated at pack load time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..case.model import Case, ImagingStudy
from ..knowledge.schema import Finding
from .facts import Facts

__all__ = ["PREDICATES", "ABSENT", "absent_check", "compile_finding", "check_finding", "Hit"]

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
        Literal[
            "normal", "not_interpreted", "raised", "raised_expected", "raised_beyond_expected", "low", "second_rise"
        ]
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


@cache
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def _get(case: Case, path: str) -> Any:
    obj: Any = case
    for part in _parts(path):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _imaging(f: Facts, p: ImagingP) -> Hit:
    entries = [e for code in p.codes for e in f.imaging_by_code.get(code, ())]
    if not entries:
        return None
    measured = any(x is not None for x in (p.gt, p.ge, p.lt, p.le))
    found: list[tuple[int, int, str]] = []
    for i, j, study, fnd in entries:
        code = fnd.code.value
        mod = study.modality.value
        if p.modalities and mod not in p.modalities:
            continue
        if fnd.value is not None:
            if not Compare.ok(p, fnd.value):
                continue
        elif measured:
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
        found.append((i, j, f"imaging[{i}].findings[{j}]: {mod} {study.date} {code}{at}{q}"))
    return [quote for *_, quote in sorted(found)] or None


def _field(f: Facts, p: FieldP) -> Hit:
    raw = _get(f.case, p.path)  # the case's enums are StrEnums: they compare and hash as their values
    if raw is None:
        return None
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

    def counts(study: ImagingStudy) -> bool:
        return (study.modality.value in p.modalities and not study.limited_by_artefact
                and (after is None or study.date >= after))

    studies = [(i, s) for i, s in enumerate(f.case.imaging) if counts(s)]
    if not studies:
        return None
    for code in p.codes:
        for _, _, study, fnd in f.imaging_by_code.get(code, ()):
            if not counts(study):
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
    surgeries = f.surgeries
    if p.index_only:
        surgeries = tuple(s for s in f.surgeries if s.position == f.index_position)
    hits = [
        s.quote for s in surgeries
        if (not p.any or s.procedure in p.any)
        and (not p.regions or s.region in p.regions)
        and (p.instrumented is None or s.instrumented == p.instrumented)
        and (not p.levels_any or not s.levels.isdisjoint(p.levels_any))
    ]
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


def compile_finding(finding: Finding) -> tuple[Callable[[Facts, Any], Hit], Any]:
    """A finding's predicate and its validated parameters (done once, at load): call ``fn(facts, params)``."""
    model, fn = PREDICATES[finding.predicate]
    return fn, model.model_validate(finding.params)


# -- Absent findings (ranking) ------------------------------------------------------------------
# A finding is *absent* when the case shows it was looked for and not found: an examination item
# recorded negative, a symptom the patient denied, a study that could show it and does not, a test
# whose result falls short. "Not recorded" is *unknown* and never counts. Each function returns the
# inputs that show the finding absent (quoted with their JSON paths), or None (present or unknown).
# Only called for findings that are not present.

def _field_absent(f: Facts, p: FieldP) -> Hit:
    raw = _get(f.case, p.path)
    if raw is None:
        return None
    return [f"{p.path} = {raw} (recorded)"]  # recorded and (the finding not being present) not matching


def _fields_absent(f: Facts, p: FieldsP) -> Hit:
    for item in p.all:
        if _get(f.case, item.path) is not None and not _field(f, item):
            return _field_absent(f, item)
    return None


def _symptom_absent(f: Facts, p: SymptomP) -> Hit:
    """Absent only when every symptom of the finding was asked about and denied (``symptoms.denied``).

    A symptom merely missing from the recorded list is not taken as absent: a list of complaints
    records what the patient reported, not every question asked.
    """
    if p.absent:
        return None
    denied = {getattr(s, "value", s) for s in getattr(f.case.symptoms, "denied", None) or ()}
    if denied and all(code in denied for code in p.any):
        return [f"symptoms.denied contains {code}" for code in p.any]
    return None


def _imaging_absent_of(f: Facts, p: ImagingP) -> Hit:
    """A study of a modality that can show the finding, after the operation (and after the onset when it is
    known), not limited by artefact, without it; or the finding measured short of the threshold."""
    if not p.modalities:
        return None  # no modality is named that can show it: absence cannot be read
    if any(f.imaging_by_code.get(code) for code in p.codes):
        measured = [e for code in p.codes for e in f.imaging_by_code.get(code, ())
                    if e[3].value is not None and e[2].modality.value in p.modalities]
        if measured and any(x is not None for x in (p.gt, p.ge, p.lt, p.le)):
            return [f"imaging[{i}].findings[{j}]: {s.modality.value} {s.date} {fnd.code.value} {fnd.value:g} "
                    f"{fnd.unit} (below the threshold)" for i, j, s, fnd in measured]
        return None  # recorded at another level or on another modality: not read as absent
    after = f.index.date if f.index is not None else None
    if f.index is not None and f.onset_days is not None and f.onset_days > 0:
        after = f.index.date + timedelta(days=f.onset_days)
    studies = [
        f"imaging[{i}]: {s.modality.value} {s.date} shows none of {', '.join(p.codes)}"
        for i, s in enumerate(f.case.imaging)
        if s.modality.value in p.modalities and not s.limited_by_artefact and (after is None or s.date >= after)
    ]
    return studies or None


def _culture_absent(f: Facts, p: CultureP) -> Hit:
    if "positive" not in p.results:
        return None
    neg = [f"cultures[{i}]: {c.specimen} {c.date} {c.result}" for i, c in enumerate(f.case.cultures)
           if c.specimen in p.specimens and c.result == "negative"]
    return neg or None


def _lab_absent(f: Facts, p: LabP) -> Hit:
    reads = f.lab_reads.get(p.test, [])
    if not reads or "normal" in p.status:
        return None
    last = reads[-1]
    return [f"{last.path}: {last.test} {last.value:g} {last.unit} (normal)"] if last.status == "normal" else None


def _block_absent(f: Facts, p: BlockP) -> Hit:
    out = [
        f"blocks[{i}]: {b.type.value} {b.relief_percent:g}% relief ({b.paradigm})"
        for i, b in enumerate(f.case.blocks)
        if b.type.value in p.types and (not p.paradigms or b.paradigm in p.paradigms) and not p.ok(b.relief_percent)
    ]
    return out or None


def _emg_absent(f: Facts, p: EmgP) -> Hit:
    out = [f"electrodiagnostics[{i}]: {e.result.value}" for i, e in enumerate(f.case.electrodiagnostics)
           if e.result.value not in p.results]
    return out or None


ABSENT: dict[str, Callable[[Facts, Any], Hit]] = {
    "field": _field_absent,
    "fields": _fields_absent,
    "symptom": _symptom_absent,
    "imaging": _imaging_absent_of,
    "culture": _culture_absent,
    "lab": _lab_absent,
    "block": _block_absent,
    "emg": _emg_absent,
}


def absent_check(predicate: str) -> Callable[[Facts, Any], Hit] | None:
    """The function that reads a finding of this predicate as absent, or None when absence cannot be read."""
    return ABSENT.get(predicate)
