"""The knowledge pack: cited, versioned clinical knowledge as data."""

# Sections contributed by other areas register themselves when their schema module is imported;
# import them here so that every pack load knows them.
from ..instruments import schema as _instrument_schema  # noqa: E402,F401  (validated questionnaires)
from ..patient import schema as _patient_schema  # noqa: E402,F401  (patient texts, answers, jargon)
from ..plan import schema as _plan_schema  # noqa: E402,F401  (alignment, revision plan, order set)
from ..screen import schema as _screen_schema  # noqa: E402,F401  (population screen definitions)
from . import interventions as _interventions  # noqa: F401  (HTI-1 source attributes)
from . import schema
from .loader import register_checker, register_section
from .pack import KnowledgePack, default_pack, load_pack

__all__ = ["KnowledgePack", "load_pack", "default_pack", "register_section", "register_checker", "schema"]
