"""Keep the secrets a session knows out of text it did not write: an error's.

An ``AuthApi`` may put a token or a password into its exception
(``KeyError(refresh_token.reveal())``, a server echoing the request). Such
text reaches people two ways, treated differently:

* A ``SessionError`` or an event shows it to users: ``holds_secret`` finds a
  secret in it and the session withholds the whole text. Masking the secret
  inside it would not do: in a message anyone can know ("try again in 5
  minutes"), ``********`` in the place of a word tells which word it was.
  Withheld, the text leaks at most that it held a secret.
* A log shows it to operators, who need the rest of a traceback: ``scrub``
  masks each secret in place.

A secret is looked for as written and as a ``repr`` or JSON escapes it:

>>> from impact_rx.session import Secret
>>> scrub("KeyError: 'tok\\\\en-1234'", [Secret("tok\\\\en-1234"), None])
"KeyError: '********'"
>>> holds_secret("bad password abcd for abcdef", [Secret("abcd")])
True

A secret shorter than ``_FOUND_ANYWHERE`` characters counts only where it
stands as a quoted token, or is the whole text:

>>> scrub("try again in 5 minutes, not 'in'", [Secret("in")])
"try again in 5 minutes, not '********'"
>>> holds_secret("try again in 5 minutes", [Secret("in")])
False
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final

from ._api import _MASK, Secret

__all__ = ["holds_secret", "scrub"]

_FOUND_ANYWHERE: Final = 4
"""Secrets this long or longer count wherever they occur. A shorter one (a 1
to 3 character password) counts only as a quoted token (``'in'``, ``"in"``,
`````in`````) or as the whole text: ``in``, ``ada`` or ``a`` occur in ordinary
words by chance, so withholding every message holding one would hide most
messages of a session with a 1-character password, and masking them as words
would reveal the password by the pattern of a known message (``try again
******** 5 minutes``). Left as they are, such words say nothing about which
of them, if any, is the password. The cost, chosen knowingly: an error that
writes a short secret unquoted in prose (``bad password ab``) shows it; a
password that short is guessed faster than read anyway. A quoted token is
how errors echo a value (``KeyError: 'ab'``, ``cannot encode 'ab'``)."""

_QUOTES: Final = ("'", '"', "`")


def scrub(text: str, secrets: Iterable[Secret[Any] | None]) -> str:
    """``text`` with every string secret of ``secrets`` masked; ``None`` skipped.

    Only secrets holding text are looked for: that is what a token or a
    password is, and what an exception's text can hold. For logs; a text
    shown to users is withheld instead (see ``holds_secret``).
    """
    pattern = _pattern(None if s is None else s.reveal() for s in secrets)
    return text if pattern is None else pattern.sub(_MASK, text)


def holds_secret(text: str, secrets: Iterable[Secret[Any] | object]) -> bool:
    """Whether ``text`` holds a string secret of ``secrets`` (see module doc).

    ``secrets`` may mix ``Secret`` objects and revealed values; ``None`` and
    values that are no string are skipped.
    """
    values = [s.reveal() if isinstance(s, Secret) else s for s in secrets]
    pattern = _pattern(values)
    return pattern is not None and pattern.search(text) is not None


def _pattern(values: Iterable[object]) -> re.Pattern[str] | None:
    """One pattern for every form of every string value; ``None`` if none."""
    forms: dict[str, bool] = {}  # form -> whether it counts anywhere
    for value in values:
        if isinstance(value, str) and value:
            anywhere = len(value) >= _FOUND_ANYWHERE
            for form in _written(value):
                forms[form] = forms.get(form, False) or anywhere
    if not forms:
        return None
    patterns = []
    for form in sorted(forms, key=len, reverse=True):  # longest first
        escaped = re.escape(form)
        if forms[form]:
            patterns.append(escaped)
        else:
            patterns += [rf"(?<={q}){escaped}(?={q})" for q in _QUOTES]
            patterns.append(rf"\A{escaped}\Z")
    return re.compile("|".join(patterns))


def _written(value: str) -> set[str]:
    """How ``value`` may be written in an error: as it is, in a repr, in JSON."""
    return {value, repr(value)[1:-1], json.dumps(value)[1:-1]} - {""}
