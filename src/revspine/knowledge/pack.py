"""The loaded, cross-checked knowledge pack."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel

from ..errors import KnowledgeError, Problem
from . import schema as s
from .loader import CHECKERS, builtin_pack_dir, merge, read_pack_dir
from .refs import CitationRef
from .textmatch import lower_first

__all__ = ["KnowledgePack", "load_pack", "default_pack", "per_pack"]

T = TypeVar("T")

_CITATION_KEYS = ("citations", "threshold_citations", "normal_caveat_citations")
_REQUIRED = ("pack", "citations", "scoring", "timing", "findings", "causes")


_NESTED = (BaseModel, dict, list, tuple)


def _walk(obj: Any) -> Iterator[tuple[str, Any]]:
    """Every (field name, value) inside an entry; list items come out under their list's name."""
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            yield name, value
            if isinstance(value, _NESTED):
                yield from _walk(value)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k), v
            if isinstance(v, _NESTED):
                yield from _walk(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            if isinstance(v, BaseModel):
                yield "", v
            if isinstance(v, _NESTED):
                yield from _walk(v)


class KnowledgePack:
    """Every section of a pack, indexed by id, plus its identity and versions."""

    def __init__(self, sections: dict[str, Any], *, sources: Sequence[str], overridden: Sequence[str] = ()):
        missing = [n for n in _REQUIRED if n not in sections]
        if missing:
            raise KnowledgeError(f"knowledge pack lacks required sections: {', '.join(missing)}")
        self.derived: dict[Callable[..., Any], Any] = {}
        """What ``per_pack`` functions worked out from this pack, by function (it lives and dies with the pack)."""
        self.sections = sections
        self.sources = list(sources)
        self.overridden = list(overridden)
        self.info: s.PackInfo = sections["pack"]
        self.citations: dict[str, s.Citation] = sections["citations"]
        self.scoring: s.Scoring = sections["scoring"]
        self.timing: s.Timing = sections["timing"]
        self.findings: dict[str, s.Finding] = sections["findings"]
        self.causes: dict[str, s.Cause] = sections["causes"]
        self.red_flags: dict[str, s.RedFlag] = sections.get("red_flags", {})
        self.labs: dict[str, s.LabTestRule] = sections.get("labs", {})
        self.workup_tests: dict[str, s.WorkupTest] = sections.get("workup_tests", {})
        self.workup_rules: dict[str, s.WorkupRule] = sections.get("workup_rules", {})
        self.risk_factors: dict[str, s.RiskFactorRule] = sections.get("risk_factors", {})
        self.decision_rules: dict[str, s.DecisionRule] = sections.get("decision_rules", {})
        self.non_surgical: dict[str, s.NonSurgicalOption] = sections.get("non_surgical", {})
        self.value_sets: dict[str, s.ValueSet] = sections.get("value_sets", {})
        self.version = self.info.version
        problems = self._check()
        for check in CHECKERS:
            problems.extend(check(sections))
        if problems:
            raise KnowledgeError(
                f"knowledge pack {self.info.id} {self.version} failed validation ({len(problems)} problems)",
                problems,
            )
        self.scoring_top_n = self.scoring.top_n
        self.ordinal_lr = {b.weight: b.lr_equivalent for b in self.scoring.ordinal_bands}
        # Findings some cause weighs when absent (the engine reads those, and only those, as absent).
        self.weighed_absent = tuple(sorted({ev.absent.finding or ev.finding for c in self.causes.values()
                                            for ev in c.evidence if ev.absent is not None}))
        self.citation_refs = {cid: _citation_ref(c) for cid, c in self.citations.items()}
        self.cause_evidence = {cid: tuple(self._evidence_row(cid, ev) for ev in c.evidence)
                               for cid, c in self.causes.items()}
        self.cause_codes = {cid: tuple(code.code for code in c.icd10cm) for cid, c in self.causes.items()}
        self.cause_citations = {
            cid: tuple(sorted({*c.prior.citations, *c.citations})) for cid, c in self.causes.items()
        }

    def _evidence_row(self, cid: str, ev: s.Evidence) -> EvidenceRow:
        """The fixed parts of one cause's evidence entry, computed once per pack."""
        factor = ev.lr if ev.lr is not None else self.ordinal_lr[ev.weight or 0]
        label = self.findings[ev.finding].label
        static = {"rule_id": f"{cid}.{ev.finding}", "finding": ev.finding, "label": label, "status": "present",
                  "kind": ev.kind, "lr": ev.lr, "weight": ev.weight, "factor": factor, "reason": ev.reason,
                  "basis": _basis(ev.kind, ev.basis)}
        absent = None
        if ev.absent is not None:
            a = ev.absent
            a_factor = a.lr if a.lr is not None else self.ordinal_lr[a.weight or 0]
            afid = a.finding or ev.finding
            alabel = self.findings[afid].label
            a_static = {"rule_id": f"{cid}.{ev.finding}.absent", "finding": afid,
                        "label": f"Looked for, not found: {lower_first(alabel)}",
                        "status": "absent", "kind": a.kind, "lr": a.lr, "weight": a.weight, "factor": a_factor,
                        "reason": a.reason, "basis": _basis(a.kind, a.basis), "tier": "against"}
            absent = (a.finding or ev.finding, a_factor, a_static, tuple(a.citations), tuple(a.unless))
        return EvidenceRow(ev.finding, factor, static, tuple(ev.citations), ev.tier, ev.confirm_when,
                           ev.unconfirmed_tier, absent, ev.only_when)

    # -- cross references -------------------------------------------------------------
    def cited_ids(self) -> set[str]:
        """Every citation id some entry names."""
        used: set[str] = set()
        for name, body in self.sections.items():
            if name == "citations":
                continue
            for key, value in _walk(body):
                if key in _CITATION_KEYS and isinstance(value, list):
                    used.update(value)
        return used

    def entries(self) -> Iterator[tuple[str, str, BaseModel]]:
        for name, body in self.sections.items():
            if isinstance(body, dict):
                for ident, entry in body.items():
                    yield name, ident, entry
            else:
                yield name, name, body

    def _check(self) -> list[Problem]:
        problems: list[Problem] = []
        for section, ident, entry in self.entries():
            where = f"{section}[{ident}]"
            for key, value in _walk(entry):
                if key in _CITATION_KEYS and isinstance(value, list):
                    for cid in value:
                        if cid not in self.citations:
                            problems.append(Problem(where, f"cites '{cid}', which is not in the citations registry"))
                if isinstance(value, s.Condition):
                    for fid in value.finding_ids():
                        if fid not in self.findings:
                            problems.append(Problem(where, f"refers to unknown finding '{fid}'"))
                if isinstance(value, s.Evidence) and value.finding not in self.findings:
                    problems.append(Problem(where, f"evidence names unknown finding '{value.finding}'"))
                if isinstance(value, s.Absence):
                    for fid in filter(None, [value.finding, *value.unless]):
                        if fid not in self.findings:
                            problems.append(Problem(where, f"absence names unknown finding '{fid}'"))
                if key in ("when_causes_in_top", "rule_out", "blocks_only_for") and isinstance(value, list):
                    for cid in value:
                        if cid not in self.causes:
                            problems.append(Problem(where, f"refers to unknown cause '{cid}'"))
        for cid, cause in self.causes.items():
            for t in cause.workup:
                if t not in self.workup_tests:
                    problems.append(Problem(f"causes[{cid}]", f"work-up names unknown test '{t}'"))
            weights = {e.weight for e in cause.evidence if e.weight is not None}
            weights |= {e.absent.weight for e in cause.evidence if e.absent is not None and e.absent.weight is not None}
            weights |= {w.weight for w in cause.timing.values()}
            for w in weights - {b.weight for b in self.scoring.ordinal_bands} - {0}:
                problems.append(Problem(f"causes[{cid}]", f"ordinal weight {w} has no band in scoring"))
        if self.sections.get("decision_rules") and not any(
            r.predicate == "otherwise" for r in self.decision_rules.values()
        ):
            problems.append(Problem("decision_rules", "the last resort rule (predicate 'otherwise') is missing"))
        for rid, rule in self.workup_rules.items():
            if rule.test not in self.workup_tests:
                problems.append(Problem(f"workup_rules[{rid}]", f"names unknown test '{rule.test}'"))
        return problems

    def citation(self, cid: str) -> s.Citation:
        return self.citations[cid]

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.info.id,
            "name": self.info.name,
            "version": self.version,
            "released": self.info.released,
            "sources": self.sources,
            "overridden": self.overridden,
        }


class EvidenceRow(NamedTuple):
    finding: str
    factor: float
    static: dict[str, Any]
    citations: tuple[str, ...]
    tier: str
    confirm_when: s.Condition | None
    unconfirmed_tier: str
    absent: tuple[str, float, dict[str, Any], tuple[str, ...], tuple[str, ...]] | None
    only_when: s.Condition | None


def _basis(kind: str, basis: str | None) -> str | None:
    if kind != "ordinal":
        return None
    return basis or (
        "Expert-assigned ordinal band (the pack's authors); the cited source gives its direction, not its size."
    )


def _citation_ref(c: s.Citation) -> CitationRef:
    year = str(c.year) if c.year and str(c.year) not in c.source else None  # most sources already name it
    bits = [c.authors, c.title, c.source, year]
    if c.url:
        url: str | None = c.url
    elif c.doi:
        url = f"https://doi.org/{c.doi}"
    elif c.pmid:
        url = f"https://pubmed.ncbi.nlm.nih.gov/{c.pmid}/"
    else:
        url = None
    return CitationRef(
        id=c.id, text=". ".join(b.rstrip(".") for b in bits if b) + ".", url=url, quality=c.quality,
        evidence_type=c.evidence_type,
    )


def load_pack(
    local: Sequence[str | Path] = (), *, builtin: bool = True, cache_dir: str | Path | None = None
) -> KnowledgePack:
    """Load the built-in pack, then overlay each local pack folder in order. With ``cache_dir`` (the settings'
    ``knowledge_cache_dir``), YAML files parsed before are read from the parse cache there (``parse_cache``):
    every entry is validated all the same, and a changed file is parsed again."""
    sections: dict[str, Any] = {}
    sources: list[str] = []
    problems: list[Problem] = []
    overridden: list[str] = []
    roots = ([builtin_pack_dir()] if builtin else []) + [Path(p) for p in local]
    for root in roots:
        body, probs = read_pack_dir(root, cache_dir)
        problems.extend(Problem(f"{root.name}/{p.path}", p.message) for p in probs)
        info = body.get("pack")
        if info is not None:
            sources.append(f"{info.id}@{info.version}")
        if not sections:
            sections = body
        else:
            sections, over = merge(sections, body)
            overridden.extend(over)
            if info is not None:
                base: s.PackInfo = sections["pack"]
                sections["pack"] = base.model_copy(
                    update={"version": f"{base.version}+{info.id}.{info.version}"}
                )
    if problems:
        raise KnowledgeError(f"knowledge pack failed to load ({len(problems)} problems)", problems)
    return KnowledgePack(sections, sources=sources, overridden=overridden)


@lru_cache(maxsize=1)
def default_pack() -> KnowledgePack:
    """The built-in pack, loaded once. The entry points assess with ``revspine.settings.configured_pack()``: this
    pack with the local packs the settings name (``REVSPINE_KNOWLEDGE_PACKS``)."""
    return load_pack()


def per_pack(fn: Callable[[KnowledgePack], T]) -> Callable[[KnowledgePack], T]:
    """``fn(pack)`` worked out once per pack and kept while the pack lives (in ``pack.derived``): for what the
    engine and the adapters derive from the pack alone (compiled findings, result templates, indexes)."""

    @wraps(fn)
    def once(pack: KnowledgePack) -> T:
        try:
            got: T = pack.derived[fn]  # annotated, not cast(): cast is a Python call, and this runs ~15 times a case
            return got
        except KeyError:
            value = pack.derived[fn] = fn(pack)
            return value

    return once
