"""The clinicians' web application: FastAPI, server-rendered pages with JSON twins, REST API."""

from .app import create_app
from .auth import require_api_user, require_user

__all__ = ["create_app", "require_api_user", "require_user"]
