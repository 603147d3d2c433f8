"""revspine: decision support for failed back surgery (PSPS type 2) and revision surgery.

    >>> from revspine import load_pack, parse_case, assess
    >>> pack = load_pack()
    >>> assessment = assess(parse_case(case_json, pack), pack)
"""

from .case import Case, parse_case
from .errors import AuthError, InputError, KnowledgeError, NotFound, Problem, RevspineError, StorageError
from .knowledge import KnowledgePack, default_pack, load_pack
from .pipeline import Assessment, assess
from .version import __version__

__all__ = [
    "assess",
    "parse_case",
    "load_pack",
    "default_pack",
    "Case",
    "Assessment",
    "KnowledgePack",
    "RevspineError",
    "InputError",
    "KnowledgeError",
    "NotFound",
    "AuthError",
    "StorageError",
    "Problem",
    "__version__",
]
