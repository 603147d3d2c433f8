"""CaseBuilder: collects what the mappers found and turns it into a validated Case.

Several resources may speak to one case field; the rules here decide: a risk factor
that is true in any current record is true, the highest CKD stage wins, the latest
smoking status wins, the latest vital sign and questionnaire score win. Whatever the
case validator still rejects is taken out and noted, so every input yields a case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..case.model import Case
from ..case.validate import parse_case
from ..errors import InputError
from ..knowledge.pack import KnowledgePack
from .codes import CodeIndex
from .report import MappingReport
from .walk import Entry

__all__ = ["Source", "CaseBuilder"]


EXAM_VITALS = ("oxygen_saturation", "temperature_c")
EXAM_VITAL_MAX_AGE_DAYS = 7


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value came from: the resource and the element."""

    entry: Entry
    fhir_path: str

    @property
    def ref(self) -> str:
        return self.entry.ref


@dataclass
class _Valued:
    value: Any
    when: date | None
    source: Source


@dataclass
class CaseBuilder:
    pack: KnowledgePack
    index: CodeIndex
    report: MappingReport
    today: date
    case_id: str | None = None
    patient: dict[str, Any] = field(default_factory=dict)
    vitals: dict[str, _Valued] = field(default_factory=dict)
    scores: dict[str, _Valued] = field(default_factory=dict)
    risk: dict[str, list[_Valued]] = field(default_factory=dict)
    symptoms: dict[str, list[Source]] = field(default_factory=dict)
    surgeries: list[tuple[dict[str, Any], Source]] = field(default_factory=list)
    imaging: list[tuple[dict[str, Any], Source]] = field(default_factory=list)
    labs: list[tuple[dict[str, Any], Source]] = field(default_factory=list)
    opioid_mme: list[tuple[float, Source]] = field(default_factory=list)
    opioid_unknown: list[Source] = field(default_factory=list)

    # -- recording ---------------------------------------------------------------------------
    def mapped(self, src: Source, target: str, reason: str, code: str | None = None) -> None:
        e = src.entry
        self.report.used.add(e.ref)
        self.report.note("mapped", e.rtype, e.rid, e.path, src.fhir_path, reason, target, code)

    def set_risk(self, name: str, value: Any, when: date | None, src: Source) -> None:
        self.risk.setdefault(name, []).append(_Valued(value, when, src))

    def superseded(self, src: Source, target: str, reason: str) -> None:
        e = src.entry
        self.report.note("skipped", e.rtype, e.rid, e.path, src.fhir_path, reason, target)

    def latest(self, bucket: dict[str, _Valued], name: str, value: Any, when: date | None, src: Source) -> None:
        old = bucket.get(name)
        if old is None or (when or date.min) >= (old.when or date.min):
            bucket[name] = _Valued(value, when, src)
            if old is not None:
                self.superseded(old.source, name, f"{name} {old.value} ({old.when}) superseded by a later value")
        else:
            self.superseded(src, name, f"{name} {value} ({when}) superseded by a later value ({old.when})")

    # -- building ----------------------------------------------------------------------------
    def _risk_factors(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, values in self.risk.items():
            if name == "ckd_stage":
                chosen = max(values, key=lambda v: v.value)
            elif name == "smoking":
                chosen = max(values, key=lambda v: v.when or date.min)
            else:
                chosen = values[0]
            out[name] = chosen.value
            for v in values:
                if v.value == chosen.value:
                    self.mapped(v.source, f"risk_factors.{name}", f"{name} = {v.value}")
                else:
                    self.superseded(v.source, f"risk_factors.{name}", f"{name} = {v.value} ({v.when}) not used: "
                                    f"{chosen.value} from {chosen.source.ref} ({chosen.when}) wins")
        if self.opioid_mme:
            total = round(sum(m for m, _ in self.opioid_mme), 1)
            out["opioid_mme_per_day"] = total
            for mme, src in self.opioid_mme:
                self.mapped(src, "risk_factors.opioid_mme_per_day", f"{mme:g} MME/day (CDC 2022 factors)")
            if self.opioid_unknown:
                e = self.opioid_unknown[0].entry
                self.report.note("warning", e.rtype, e.rid, e.path, "MedicationRequest.dosageInstruction",
                                 f"opioid_mme_per_day {total:g} is a lower bound: {len(self.opioid_unknown)} active "
                                 "opioid prescription(s) have no computable dose", "risk_factors.opioid_mme_per_day")
        return out

    def _vitals(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("height_cm", "weight_kg", "bmi"):  # EXAM_VITALS go to exam (_exam)
            v = self.vitals.get(name)
            if v is not None:
                out[name] = v.value
        if "height_cm" in out and "weight_kg" in out and "bmi" in out:
            computed = round(out["weight_kg"] / (out["height_cm"] / 100) ** 2, 1)
            if abs(computed - out["bmi"]) > 1.0:
                src = self.vitals["bmi"].source
                e = src.entry
                self.report.note("skipped", e.rtype, e.rid, e.path, src.fhir_path,
                                 f"BMI {out['bmi']:g} disagrees with the latest height and weight (which give "
                                 f"{computed:g}); the computed BMI is used", "patient.bmi")
                del out["bmi"]
                del self.vitals["bmi"]
        for name in out:
            v = self.vitals[name]
            self.mapped(v.source, f"patient.{name}", f"{name} = {v.value:g} ({v.when})")
        return out

    def _exam(self) -> dict[str, Any]:
        """Bedside measurements (SpO2, temperature) taken as today's examination when at most 7 days old."""
        out: dict[str, Any] = {}
        for name in EXAM_VITALS:
            v = self.vitals.get(name)
            if v is None or v.when is None:
                continue
            e = v.source.entry
            age = (self.today - v.when).days
            if age > EXAM_VITAL_MAX_AGE_DAYS:
                self.report.note("skipped", e.rtype, e.rid, e.path, v.source.fhir_path,
                                 f"{name} {v.value:g} of {v.when} is {age} days old; not taken as today's "
                                 f"examination (at most {EXAM_VITAL_MAX_AGE_DAYS} days)", f"exam.{name}")
                continue
            out[name] = v.value
            self.mapped(v.source, f"exam.{name}", f"{name} = {v.value:g} ({v.when})")
        return out

    def _questionnaires(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        dates = []
        for name, v in self.scores.items():
            out[name] = v.value
            if v.when:
                dates.append(v.when)
            self.mapped(v.source, f"questionnaires.{name}", f"{name} = {v.value:g} ({v.when})")
        if dates:
            out["date"] = max(dates).isoformat()
        return out

    def _surgeries(self) -> list[dict[str, Any]]:
        order = ["tlif", "plif", "alif", "llif", "corpectomy", "acdf", "posterior_cervical_fusion",
                 "posterolateral_fusion", "disc_replacement", "laminoplasty", "laminectomy", "foraminotomy",
                 "discectomy", "other"]
        merged: dict[tuple[str, str], tuple[dict[str, Any], list[Source]]] = {}
        for s, src in self.surgeries:
            key = (s["date"], s["region"])
            if key not in merged:
                merged[key] = (dict(s), [src])
                continue
            m, srcs = merged[key]
            srcs.append(src)
            if order.index(s["procedure"]) < order.index(m["procedure"]):
                m["procedure"] = s["procedure"]
            m["levels"] = sorted(set(m.get("levels", [])) | set(s.get("levels", [])))
            for k in ("instrumented", "approach"):
                if m.get(k) is None and s.get(k) is not None:
                    m[k] = s[k]
        out = []
        for i, (s, srcs) in enumerate(sorted(merged.values(), key=lambda x: x[0]["date"])):
            for src in srcs:
                why = "merged with other codes of the same operation" if len(srcs) > 1 else "prior spine operation"
                self.mapped(src, f"surgeries[{i}]", f"{s['procedure']} ({s['region']}, {s['date']}): {why}")
            out.append({k: v for k, v in s.items() if v is not None and v != []})
        return out

    def _onset(self, surgeries: list[dict[str, Any]]) -> str | None:
        """The first pain diagnosis dated on or after the latest operation, as the symptom onset."""
        if not surgeries:
            return None
        last = max(s["date"] for s in surgeries)
        pains = [f for f in self.report.context if f.tag == "pain" and f.date and f.date >= last and f.current]
        if not pains:
            return None
        first = min(pains, key=lambda f: f.date or "")
        rtype, _, rid = first.resource.partition("/")
        self.report.note("assumption", rtype, rid or None, first.resource, f"{rtype}.onset[x]",
                         f"symptom onset taken as {first.date}, the first pain diagnosis "
                         f"({first.display or first.code}) recorded after the operation of {last}; "
                         "the true onset may be earlier",
                         "symptoms.onset_date")
        return first.date

    def data(self) -> dict[str, Any]:
        patient = {**self.patient, **self._vitals()}
        data: dict[str, Any] = {
            "case_id": self.case_id,
            "assessment_date": self.today.isoformat(),
            "patient": patient,
            "surgeries": self._surgeries(),
            "risk_factors": self._risk_factors(),
            "imaging": [i for i, _ in self.imaging],
            "labs": [lab for lab, _ in self.labs],
            "questionnaires": self._questionnaires(),
        }
        exam = self._exam()
        if exam:
            data["exam"] = exam
        for i, (_, src) in enumerate(self.imaging):
            self.mapped(src, f"imaging[{i}]", "imaging study")
        for i, (lab, src) in enumerate(self.labs):
            self.mapped(src, f"labs[{i}]", f"{lab['test']} {lab['value']:g} {lab['unit']} ({lab['date']})")
        onset = self._onset(data["surgeries"])
        if onset:
            data["symptoms"] = {"onset_date": onset}
        if self.symptoms:
            data.setdefault("symptoms", {})["symptoms"] = sorted(self.symptoms)
            for name, srcs in self.symptoms.items():
                for src in srcs:
                    self.mapped(src, "symptoms.symptoms", f"symptom {name}")
        return data

    def build(self) -> Case:
        """The validated case; values the validator rejects are removed and noted."""
        data = self.data()
        for _ in range(6):
            try:
                return parse_case(data, self.pack, today=self.today)
            except InputError as exc:
                if not any(_drop(data, p.path) for p in exc.problems):
                    raise
                for p in exc.problems:
                    self.report.note("skipped", "Case", None, p.path, p.path,
                                     f"removed from the case: {p.message}", p.path)
        return parse_case(data, self.pack, today=self.today)


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _drop(data: dict[str, Any], path: str) -> bool:
    """Remove the element a validation problem points at (a list item or a field)."""
    parts: list[str | int] = [int(i) if i else n for n, i in _PART.findall(path)]
    if not parts:
        return False
    # drop the whole list item when the path goes into one (labs[3].value -> labs[3])
    for k in range(len(parts) - 1, -1, -1):
        if isinstance(parts[k], int):
            parts = parts[: k + 1]
            break
    node: Any = data
    for p in parts[:-1]:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            return False
    last = parts[-1]
    try:
        if isinstance(node, list) and isinstance(last, int):
            node.pop(last)
        elif isinstance(node, dict) and last in node:
            del node[last]
        else:
            return False
    except IndexError:
        return False
    return True
