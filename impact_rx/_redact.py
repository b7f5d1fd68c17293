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

A mapping hides the values under secret-looking keys the same way, one
level deep: ``{'access_token': <redacted>, 'user': 'ada'}``. A mapping
nested inside another value is shown as it is, so keep secrets in a
``Secret`` rather than relying on the names around them.

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
from collections.abc import Mapping
from itertools import pairwise
from typing import Any, Final, final

__all__ = [
    "REDACTED",
    "anonymous",
    "looks_secret",
    "masked",
    "shorten",
    "shown_value",
]

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
    return _looks_secret(name)


def _looks_secret(name: str | None) -> bool:
    # Uncached: mapping keys may be user data, which no cache should keep.
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


@final
class _Hidden:
    """Stands for a hidden value inside a repr: it shows as ``<redacted>``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return REDACTED


@final
class _MaskedMapping:
    """A mapping that is no ``dict``, shown by type name with values hidden."""

    __slots__ = ("_kind", "_shown")

    def __init__(self, kind: str, shown: dict[Any, Any]) -> None:
        self._kind = kind
        self._shown = shown

    def __repr__(self) -> str:
        return f"{self._kind}({self._shown!r})"


_HIDDEN: Final = _Hidden()


def masked(value: object) -> object:
    """What to ``repr`` in place of ``value``: secret mapping values hidden.

    A mapping with a string key that looks secret gives a stand-in whose
    ``repr`` shows ``<redacted>`` for that key's value, one level deep;
    anything else is returned as it is.

    >>> masked({"pwd": "x", "n": 1})
    {'pwd': <redacted>, 'n': 1}
    >>> masked([1])
    [1]
    """
    if not isinstance(value, Mapping):
        return value
    try:
        secret = [k for k in value if isinstance(k, str) and _looks_secret(k)]
        if not secret:
            return value
        shown = {k: _HIDDEN if k in secret else v for k, v in value.items()}
    except Exception:  # a mapping that cannot be read is not shown either
        return _MaskedMapping(type(value).__name__, {})
    if type(value) is dict:
        return shown
    return _MaskedMapping(type(value).__name__, shown)


def shown_value(name: str | None, value: object, limit: int = _LIMIT) -> str:
    """``repr(value)`` cut to ``limit``, or ``<redacted>``; never raises."""
    if looks_secret(name):
        return REDACTED
    try:
        text = repr(masked(value))
    except Exception:
        text = f"<{type(value).__name__} object>"
    return shorten(text, limit)


# What masks look like inside a repr: a Secret, a redacted value, a bare mask.
_MASKS: Final = re.compile(r"Secret\('\*{8}'\)|<redacted>|\*{8}")
_LONGEST_MASK: Final = len("Secret('********')")


def shorten(text: str, limit: int, tail: str = "...") -> str:
    """``text`` cut to ``limit`` characters, ``tail`` included.

    A cut never falls inside a mask: ``Secret('**...`` would read as a
    secret whose value starts with asterisks, so the text stops before it.

    >>> shorten("Tokens(access_token=Secret('********'), expires_in=60)", 30)
    'Tokens(access_token=...'
    """
    if len(text) <= limit:
        return text
    cut = max(0, limit - len(tail))
    # From the start, so a Secret's asterisks are not taken for a bare mask.
    for mask in _MASKS.finditer(text, 0, cut + _LONGEST_MASK):
        if mask.start() < cut < mask.end():
            cut = mask.start()
            break
    return text[:cut] + tail


def anonymous(obj: object) -> str:
    """The label of something nobody named: ``Kind@<hex id>``."""
    return f"{type(obj).__name__}@{id(obj):x}"
