"""Red flags, risk factors and non-surgical options: conditions over findings."""

from __future__ import annotations

from ..knowledge.pack import KnowledgePack
from .conditions import Hits, check
from .result import CauseResult, NonSurgicalResult, RedFlagResult, RiskFactorResult, make

__all__ = ["red_flags", "risk_factors", "non_surgical_options", "leading"]


def leading(causes: list[CauseResult], mimics: list[CauseResult], pack: KnowledgePack) -> list[CauseResult]:
    """The leading explanations: the top causes, plus mimics with supporting evidence."""
    n = pack.scoring_top_n
    return causes[:n] + [m for m in mimics if m.supporting][:n]


def red_flags(hits: Hits, pack: KnowledgePack) -> list[RedFlagResult]:
    out = []
    for rf in pack.red_flags.values():
        used = check(rf.when, hits)
        if used is not None:
            out.append(
                make(
                    RedFlagResult, rule_id=rf.id, label=rf.label, urgency=rf.urgency, action=rf.action, inputs=used,
                    citations=list(rf.citations),
                )
            )
    out.sort(key=lambda r: (r.urgency != "emergency", r.rule_id))
    return out


def risk_factors(hits: Hits, pack: KnowledgePack) -> list[RiskFactorResult]:
    out = []
    for rule in pack.risk_factors.values():
        used = check(rule.when, hits)
        if used is not None:
            out.append(
                make(
                    RiskFactorResult, rule_id=rule.id, label=rule.label, modifiable=rule.modifiable, target=rule.target,
                    effect=rule.effect, blocks_revision_until_met=rule.blocks_revision_until_met, inputs=used,
                    citations=list(rule.citations),
                )
            )
    out.sort(key=lambda r: (not r.blocks_revision_until_met, not r.modifiable, r.rule_id))
    return out


def non_surgical_options(hits: Hits, lead: list[CauseResult], pack: KnowledgePack) -> list[NonSurgicalResult]:
    top = {c.cause for c in lead}
    out = []
    for opt in pack.non_surgical.values():
        if opt.when_causes_in_top and not (top & set(opt.when_causes_in_top)):
            continue
        if check(opt.when, hits) is None:
            continue
        out.append(
            make(
                NonSurgicalResult, rule_id=opt.id, option=opt.id, label=opt.label, reason=opt.reason,
                citations=list(opt.citations),
            )
        )
    return out
