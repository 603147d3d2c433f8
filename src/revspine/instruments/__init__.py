"""Validated instruments: scoring from item scores, interpretation bands and outcome tracking.

    >>> from revspine import load_pack
    >>> from revspine.instruments import score_items
    >>> score_items("odi", [3, 2, 2, 1, 2, 2, 1, None, 1, 2], load_pack()).total
    35.56
"""

from ..knowledge.sections import instruments as schema
from .models import InstrumentScore, InstrumentsResult, OutcomeTrend, SeriesPoint, ThresholdCheck
from .outcomes import track, trend_svg
from .scoring import band_of, get_instrument, instruments, read_total, score_items

__all__ = [
    "schema", "score_items", "read_total", "band_of", "get_instrument", "instruments", "track", "trend_svg",
    "InstrumentScore", "InstrumentsResult", "OutcomeTrend", "SeriesPoint", "ThresholdCheck",
]
