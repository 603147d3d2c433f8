"""Validated instruments: scoring from item scores, interpretation bands and outcome tracking."""

from . import schema

__all__ = ["schema"]
