"""The revspine command line: a thin shell over the engine."""

from .main import app, main

__all__ = ["app", "main"]
