"""Plain-language explanation, answers to patients' questions, an offline question box and a handout."""

from . import schema

__all__ = ["schema"]
