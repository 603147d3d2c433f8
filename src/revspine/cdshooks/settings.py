"""CDS Hooks service settings: ``Settings.cds`` of :mod:`revspine.settings`, the one settings object.

Read from the environment with :func:`revspine.settings.load_settings` (``REVSPINE_CDS__BASE_URL``,
``REVSPINE_CDS__ISSUERS``...; the older names ``REVSPINE_CDS_TRUST``, ``REVSPINE_CDS_BASE_URL``... still
work), or built in code: ``CdsSettings(base_url=..., issuers=[...])``. docs/web.md lists every setting.
"""

from __future__ import annotations

from ..settings import SANDBOX_ISS, TRUST_PRESETS, CdsSettings, TrustedIssuer, load_jwks

__all__ = ["TrustedIssuer", "CdsSettings", "load_jwks", "TRUST_PRESETS", "SANDBOX_ISS"]
