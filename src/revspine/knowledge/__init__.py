"""The knowledge pack: cited, versioned clinical knowledge as data."""

# The schemas of every section (questionnaires, patient texts, the plan, population screens) are
# declared in this package (knowledge/sections/), so that every pack load knows them.
from . import interventions as _interventions  # noqa: F401  (HTI-1 source attributes)
from . import schema
from . import sections as _sections  # noqa: F401
from .loader import register_checker, register_section
from .pack import KnowledgePack, default_pack, load_pack

__all__ = ["KnowledgePack", "load_pack", "default_pack", "register_section", "register_checker", "schema"]
