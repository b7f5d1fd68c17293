"""How core objects show themselves: labels, and values that must not show.

One rule for every repr, error message, trace line and notebook view:

- A value is shown as ``<redacted>`` when the name of what holds it looks
  secret (``password``, ``token``, ``secret``, ``api_key``, ...). A value
  that is an ``impact_rx.session.Secret`` masks itself anyway.
- Something without a name is labelled ``Kind@<hex id>``.

>>> from impact_rx import Signal
>>> Signal("hunter2", name="password")
<Signal password=<redacted> (0 subscribers)>
>>> shown_value("count", 3), looks_secret("Auth.access_token")
('3', True)
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["REDACTED", "anonymous", "looks_secret", "shown_value"]

REDACTED: Final = "<redacted>"
_SECRET_NAME: Final = re.compile(
    r"password|passwd|passphrase|token|secret|api_?key|credential|private_?key",
    re.IGNORECASE,
)
_LIMIT: Final = 40


def looks_secret(name: str | None) -> bool:
    """Whether a value held under ``name`` must not be shown."""
    return bool(name) and _SECRET_NAME.search(name or "") is not None


def shown_value(name: str | None, value: object, limit: int = _LIMIT) -> str:
    """``repr(value)`` cut to ``limit``, or ``<redacted>``; never raises."""
    if looks_secret(name):
        return REDACTED
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def anonymous(obj: object) -> str:
    """The label of something nobody named: ``Kind@<hex id>``."""
    return f"{type(obj).__name__}@{id(obj):x}"
