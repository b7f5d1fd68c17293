"""How core objects show themselves: labels, and values that must not show.

One rule for every repr, error message, trace line and notebook view:

- A value is shown as ``<redacted>`` when the name of what holds it looks
  secret. A value that is an ``impact_rx.session.Secret`` masks itself
  anyway.
- Something without a name is labelled ``Kind@<hex id>``.

A name looks secret by its words: each dotted part (``Owner.attr``) is
split on ``_``, ``-`` and camelCase, and a word is secret when it

- contains ``password``, ``passwd``, ``passphrase``, ``secret`` or
  ``credential`` (``userpassword``, ``clientSecret``);
- ends in ``token`` or ``tokens`` (``access_token``, ``csrftoken``), but
  ``tokenizer`` is no secret;
- is ``pwd``, ``otp``, ``jwt``, ``bearer``, ``authorization``, ``cookie(s)``,
  ``creds``, ``apikey``, ``privatekey`` or ``sessionid``, whole: ``slot``,
  ``hotpot`` and ``footprint`` are shown;
- or follows ``api``, ``private``, ``access``, ``signing`` or ``session``
  as ``key`` (``api_key``, ``APIKey``), or ``session`` as ``id``
  (``session_id``, ``sessionId``). A bare ``key`` is shown.

>>> from impact_rx import Signal
>>> Signal("hunter2", name="password")
<Signal password=<redacted> (0 subscribers)>
>>> shown_value("count", 3), looks_secret("Auth.access_token")
('3', True)
>>> [looks_secret(n) for n in ("sessionId", "Session.id", "hotpot", "tokenizer")]
[True, False, False, False]
"""

from __future__ import annotations

import functools
import re
from itertools import pairwise
from typing import Final

__all__ = ["REDACTED", "anonymous", "looks_secret", "shown_value"]

REDACTED: Final = "<redacted>"
_LIMIT: Final = 40

# Words: a run of capitals not followed by a lower-case letter (``API`` in
# ``APIKey``), a capitalised or lower-case word, or digits.
_WORD: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SECRET_INSIDE: Final = ("password", "passwd", "passphrase", "secret", "credential")
_SECRET_ENDINGS: Final = ("token", "tokens")
_SECRET_WORDS: Final = frozenset(
    {
        "pwd",
        "otp",
        "jwt",
        "bearer",
        "authorization",
        "cookie",
        "cookies",
        "creds",
        "apikey",
        "privatekey",
        "sessionid",
    }
)
_SECRET_PAIRS: Final = frozenset(
    {
        ("api", "key"),
        ("private", "key"),
        ("access", "key"),
        ("signing", "key"),
        ("session", "key"),
        ("session", "id"),
    }
)


@functools.lru_cache(maxsize=1024)
def looks_secret(name: str | None) -> bool:
    """Whether a value held under ``name`` must not be shown."""
    if not name:
        return False
    for part in name.split("."):
        words = [word.lower() for word in _WORD.findall(part)]
        if any(_secret_word(word) for word in words):
            return True
        if any(pair in _SECRET_PAIRS for pair in pairwise(words)):
            return True
    return False


def _secret_word(word: str) -> bool:
    return (
        word in _SECRET_WORDS
        or word.endswith(_SECRET_ENDINGS)
        or any(stem in word for stem in _SECRET_INSIDE)
    )


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
