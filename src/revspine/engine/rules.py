"""Red flags, risk factors and non-surgical options: conditions over findings."""

from __future__ import annotations

from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.schema import Condition, RedFlag, RiskFactorRule
from .conditions import Hits, RuleIndex, check
from .differential import rank_key
from .result import CauseResult, NonSurgicalResult, RedFlagResult, RiskFactorResult, make

__all__ = ["red_flags", "risk_factors", "non_surgical_options", "leading", "lead_cause"]

_LEADS = ("confirmatory", "supportive")


def leading(causes: list[CauseResult], mimics: list[CauseResult], pack: KnowledgePack) -> list[CauseResult]:
    """The leading explanations the work-up and options consider: the top causes with a supporting finding
    (all top causes while none has one, so the work-up can separate them), plus supported mimics."""
    n = pack.scoring_top_n
    top = causes[:n]
    # while no cause has a finding that supports it (a pattern that fits several causes is not support), the work-up
    # separates all the top candidates, as ``lead_cause`` names them
    supported = [c for c in top if c.tier != "none"] if any(c.tier in _LEADS for c in top) else top
    flagged = [c for c in top if c.red_flag and c not in supported]
    return supported + flagged + [m for m in mimics if m.tier != "none"][:n]


def lead_cause(
    causes: list[CauseResult], mimics: list[CauseResult], pack: KnowledgePack
) -> tuple[CauseResult | None, str]:
    """The leading cause or mimic and the note that says why; (None, "no leading cause yet: ...") while no
    cause or mimic has a confirmatory or supportive finding."""
    candidates = sorted([*causes, *(m for m in mimics if m.tier != "none")], key=rank_key)
    if candidates and candidates[0].tier in _LEADS:
        lead = candidates[0]
        why = "; ".join(e.label for e in lead.supporting if e.tier in _LEADS)
        if lead.red_flag:
            why = "; ".join(filter(None, ["a red flag points to it", why]))
        return lead, f"{lead.label} leads on {lead.tier} evidence: {why or 'its findings'}."
    top = candidates[: pack.scoring_top_n]
    tests: list[str] = []
    for c in top:
        for t in c.workup_missing:
            if t not in tests:
                tests.append(t)
    names = [pack.workup_tests[t].label if t in pack.workup_tests else t for t in tests]
    cands = ", ".join(c.label for c in top) or "none"
    sep = ("; tests that separate them: " + ", ".join(names)) if names else ""
    return None, (
        "No leading cause yet: no finding supports one cause over the others (candidates: " + cands + ")" + sep + "."
    )


@per_pack
def _red_flags(pack: KnowledgePack) -> RuleIndex[RedFlag]:
    return RuleIndex((rf, rf.when) for rf in pack.red_flags.values())


@per_pack
def _risk_factors(pack: KnowledgePack) -> RuleIndex[RiskFactorRule]:
    return RuleIndex((rule, rule.when) for rule in pack.risk_factors.values())


def red_flags(hits: Hits, pack: KnowledgePack) -> list[RedFlagResult]:
    out = []
    for rf in _red_flags(pack).candidates(hits):  # the flags whose condition can hold, in pack order
        used = check(rf.when, hits)
        if used is not None:
            out.append(
                make(
                    RedFlagResult, rule_id=rf.id, label=rf.label, urgency=rf.urgency, action=rf.action,
                    inputs=list(dict.fromkeys(used)),  # each input once, though several findings read it
                    citations=list(rf.citations), points_to=list(rf.rule_out),
                )
            )
    out.sort(key=lambda r: (r.urgency != "emergency", r.rule_id))
    return out


def risk_factors(hits: Hits, pack: KnowledgePack, lead: str | None = None) -> list[RiskFactorResult]:
    """The risk factors present. A rule that holds only the revisions of some causes (``blocks_only_for``: poor
    bone quality holds a re-instrumentation, not a re-discectomy) holds the revision only when ``lead`` (the
    supported leading cause) is one of them."""
    out = []
    for rule in _risk_factors(pack).candidates(hits):
        used = check(rule.when, hits)
        if used is not None:
            cites = list(rule.citations)
            caveats: list[str] = []
            for cav in rule.caveats:
                if (why := check(cav.when, hits)) is not None:
                    caveats.append(cav.text)
                    used += [u for u in why if u not in used]
                    cites += [c for c in cav.citations if c not in cites]
            out.append(
                make(
                    RiskFactorResult, rule_id=rule.id, label=rule.label, modifiable=rule.modifiable, target=rule.target,
                    effect=rule.effect, inputs=used, blocks_revision_until_met=rule.blocks_revision_until_met and (
                        not rule.blocks_only_for or lead in rule.blocks_only_for),
                    citations=cites, advisory_when_never_deferred=rule.advisory_when_never_deferred,
                    advisory_note=rule.advisory_note, caveats=caveats,
                )
            )
    out.sort(key=lambda r: (not r.blocks_revision_until_met, not r.modifiable, r.rule_id))
    return out


@per_pack
def _options(pack: KnowledgePack) -> tuple[tuple[frozenset[str], Condition | None, NonSurgicalResult], ...]:
    """Each non-surgical option: the causes it needs among the leading candidates (empty: none named), its condition
    and its result, built once (immutable: shared by every assessment that weighs it)."""
    return tuple(
        (frozenset(opt.when_causes_in_top), opt.when,
         make(NonSurgicalResult, rule_id=opt.id, option=opt.id, label=opt.label, reason=opt.reason,
              citations=tuple(opt.citations)))
        for opt in pack.non_surgical.values()
    )


def non_surgical_options(hits: Hits, lead: list[CauseResult], pack: KnowledgePack) -> list[NonSurgicalResult]:
    top = {c.cause for c in lead}
    return [result for causes, when, result in _options(pack)
            if not (causes and top.isdisjoint(causes)) and check(when, hits) is not None]
