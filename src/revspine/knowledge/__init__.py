"""The knowledge pack: cited, versioned clinical knowledge as data."""

from . import schema
from .loader import register_checker, register_section
from .pack import KnowledgePack, default_pack, load_pack

__all__ = ["KnowledgePack", "load_pack", "default_pack", "register_section", "register_checker", "schema"]
