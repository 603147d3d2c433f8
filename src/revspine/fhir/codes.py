"""The value sets of the knowledge pack as a lookup table: coding -> what it means for the case.

Built once per pack (cached) and checked on the way: a value set whose ``maps_to``
names an unknown domain, case field or code fails with a KnowledgeError naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..case.enums import ImagingCode, Modality, Procedure, Region, Smoking, Symptom
from ..case.model import RiskFactors
from ..errors import KnowledgeError, Problem
from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.schema import ValueSet
from ..knowledge.textmatch import words_pattern

__all__ = ["SNOMED", "LOINC", "ICD10CM", "CPT", "RXNORM", "UCUM", "DICOM", "Match", "CodeIndex", "code_index",
           "normalise_system"]

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"

# HL7 OIDs of the same code systems, as some EHRs send them.
_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.12": CPT,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "http://snomed.info/sct/": SNOMED,
    "https://snomed.info/sct": SNOMED,
}

DOMAINS = frozenset({
    "condition", "procedure", "observation", "observation_answer", "medication", "allergy",
    "imaging_modality", "body_site", "imaging_procedure", "imaging_finding", "cds", "organism",
})
OBSERVATIONS = frozenset({"bmi", "weight_kg", "height_cm", "smoking_status", "phq9", "gad7", "pain_nrs",
                          "oxygen_saturation", "temperature_c"})
MED_CLASSES = frozenset({"opioid", "systemic_steroid", "anticoagulant", "bone_anabolic"})
_RF_FIELDS = RiskFactors.model_fields


def normalise_system(system: str | None) -> str:
    if not system:
        return ""
    return _ALIASES.get(system, system)


def _normalise_code(system: str, code: str) -> str:
    code = code.strip()
    if system == ICD10CM:
        code = code.upper()
        if "." not in code and len(code) > 3:
            code = f"{code[:3]}.{code[3:]}"
    return code


@dataclass(frozen=True, slots=True)
class Match:
    value_set: ValueSet
    system: str
    code: str
    display: str | None
    by_text: bool

    @property
    def maps_to(self) -> dict[str, Any]:
        return self.value_set.maps_to

    @property
    def token(self) -> str:
        return f"{self.system}|{self.code}" if self.code else f"text:{self.display}"


def _check(vs: ValueSet) -> list[str]:  # noqa: C901 - one flat list of schema checks
    m = vs.maps_to
    errs: list[str] = []
    domain = m.get("domain")
    if domain not in DOMAINS:
        return [f"maps_to.domain must be one of {', '.join(sorted(DOMAINS))}"]
    for path, value in (m.get("set") or {}).items():
        head, _, name = str(path).partition(".")
        if head != "risk_factors" or name not in _RF_FIELDS:
            errs.append(f"maps_to.set names unknown case field '{path}'")
        elif name == "smoking" and value not in {s.value for s in Smoking}:
            errs.append(f"maps_to.set {path}: '{value}' is not a smoking status")
        elif name == "ckd_stage" and value not in (1, 2, 3, 4, 5):
            errs.append(f"maps_to.set {path}: stage must be 1-5")
        elif name not in ("smoking", "ckd_stage") and value is not True:
            errs.append(f"maps_to.set {path}: only true can be set")
    for s in m.get("symptoms", []):
        if s not in {x.value for x in Symptom}:
            errs.append(f"maps_to.symptoms: unknown symptom '{s}'")
    surgery = m.get("surgery")
    if surgery is not None:
        if surgery.get("procedure") not in {p.value for p in Procedure}:
            errs.append("maps_to.surgery.procedure is not a case procedure")
        if surgery.get("region") not in (None, *(r.value for r in Region)):
            errs.append("maps_to.surgery.region is not a case region")
    if domain in ("imaging_modality", "imaging_procedure") and m.get("modality") not in {x.value for x in Modality}:
        errs.append("maps_to.modality is not a case imaging modality")
    if domain == "body_site" and m.get("region") not in ("cervical", "thoracic", "lumbar", "spine"):
        errs.append("maps_to.region must be cervical, thoracic, lumbar or spine")
    if domain == "imaging_finding" and m.get("finding") not in {x.value for x in ImagingCode}:
        errs.append("maps_to.finding is not a case imaging finding code")
    if domain == "organism" and m.get("virulence") not in ("high", "low"):
        errs.append("maps_to.virulence must be high or low")
    if domain == "observation" and m.get("observation") not in OBSERVATIONS:
        errs.append(f"maps_to.observation must be one of {', '.join(sorted(OBSERVATIONS))}")
    if domain == "medication":
        if m.get("class") not in MED_CLASSES:
            errs.append(f"maps_to.class must be one of {', '.join(sorted(MED_CLASSES))}")
        factor = m.get("mme_factor")
        if factor is not None and (not isinstance(factor, (int, float)) or factor <= 0):
            errs.append("maps_to.mme_factor must be a positive number")
        if factor is not None and m.get("mme_unit") not in ("mg", "mcg_per_hr"):
            errs.append("maps_to.mme_unit must be mg or mcg_per_hr")
    return errs


class CodeIndex:
    """Lookups from codings (and, where the pack allows, display text) to value sets, by domain."""

    def __init__(self, pack: KnowledgePack):
        problems: list[Problem] = []
        self.exact: dict[tuple[str, str, str], list[ValueSet]] = {}
        self.prefix: dict[tuple[str, str], list[tuple[str, ValueSet]]] = {}
        self.text: dict[str, list[tuple[re.Pattern[str], re.Pattern[str] | None, ValueSet]]] = {}
        self.by_id = pack.value_sets
        for vs in pack.value_sets.values():
            errs = _check(vs)
            problems.extend(Problem(f"value_sets[{vs.id}]", e) for e in errs)
            if errs:
                continue
            domain = vs.maps_to["domain"]
            system = normalise_system(vs.system)
            for c in vs.codes:
                code = _normalise_code(system, c.code)
                if vs.match == "prefix":
                    self.prefix.setdefault((domain, system), []).append((code, vs))
                else:
                    self.exact.setdefault((domain, system, code), []).append(vs)
            pattern = words_pattern(vs.text_match)
            if pattern is not None:
                self.text.setdefault(domain, []).append((pattern, words_pattern(vs.text_exclude), vs))
        if problems:
            raise KnowledgeError("the knowledge pack's value sets are not valid", problems)
        self.lab_by_loinc: dict[str, str] = {}
        for test, rule in pack.labs.items():
            for code in rule.loinc:
                self.lab_by_loinc[code] = test

    def match_code(self, domain: str, system: str | None, code: str | None) -> list[ValueSet]:
        if not code or not isinstance(code, str):
            return []
        system = normalise_system(system)
        code = _normalise_code(system, code)
        found = list(self.exact.get((domain, system, code), ()))
        for prefix, vs in self.prefix.get((domain, system), ()):
            if code.startswith(prefix):
                found.append(vs)
        return found

    def match_text(self, domain: str, text: str | None) -> list[ValueSet]:
        if not text:
            return []
        out = []
        for pattern, exclude, vs in self.text.get(domain, ()):
            if pattern.search(text) and not (exclude and exclude.search(text)):
                out.append(vs)
        return out

    def match(self, domain: str, codings: list[dict[str, Any]], text: str | None = None) -> list[Match]:
        """Every value set of ``domain`` that the codings (or, failing them, the texts) belong to."""
        out: list[Match] = []
        seen: set[str] = set()
        for c in codings:
            system, code = c.get("system"), c.get("code")
            for vs in self.match_code(domain, system, code):
                if vs.id not in seen:
                    seen.add(vs.id)
                    out.append(Match(vs, normalise_system(system), str(code), c.get("display"), False))
        if domain in self.text:
            texts = [t for t in (text, *(c.get("display") for c in codings)) if isinstance(t, str)]
            for t in texts:
                for vs in self.match_text(domain, t):
                    if vs.id not in seen:
                        seen.add(vs.id)
                        out.append(Match(vs, "", "", t, True))
        return out

    def values(self, value_set_id: str) -> ValueSet:
        return self.by_id[value_set_id]


@per_pack
def code_index(pack: KnowledgePack) -> CodeIndex:
    """The code index of a pack, built once per pack."""
    return CodeIndex(pack)
