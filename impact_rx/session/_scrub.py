"""Mask the secrets a session knows in text it did not write: an error's.

An ``AuthApi`` may put a token or a password into its exception
(``KeyError(refresh_token.reveal())``, a server echoing the request): the
session scrubs that text before it logs it or shows it in a state or event.
Each secret is masked as a ``Secret`` shows itself, as written and as a
``repr`` or JSON escapes it:

>>> from impact_rx.session import Secret
>>> scrub("KeyError: 'tok\\\\en-1234'", [Secret("tok\\\\en-1234"), None])
"KeyError: '********'"
>>> scrub("bad password abc for abcdef", [Secret("abc")])
'bad password ******** for abcdef'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final

from ._api import _MASK, Secret

__all__ = ["scrub"]

_MASKED_ANYWHERE: Final = 4
"""Secrets this long or longer are masked wherever they occur. A shorter one
(a 1 to 3 character password) is masked only where it stands alone, not next
to a letter, digit or ``_``: masking every ``a`` or ``abc`` inside the words
of a traceback would make it unreadable, while one standing alone, as in
``KeyError: 'abc'`` or ``wrong password abc``, is what an error echoes."""


def scrub(text: str, secrets: Iterable[Secret[Any] | None]) -> str:
    """``text`` with every string secret of ``secrets`` masked; ``None`` skipped.

    Only secrets holding text are looked for: that is what a token or a
    password is, and what an exception's text can hold.
    """
    forms: set[str] = set()
    for secret in secrets:
        value = None if secret is None else secret.reveal()
        if isinstance(value, str) and value:
            forms.update(_written(value))
    if not forms:
        return text
    patterns = []
    for form in sorted(forms, key=len, reverse=True):  # longest first
        pattern = re.escape(form)
        if len(form) < _MASKED_ANYWHERE:
            pattern = rf"(?<!\w){pattern}(?!\w)"
        patterns.append(pattern)
    return re.sub("|".join(patterns), _MASK, text)


def _written(value: str) -> set[str]:
    """How ``value`` may be written in an error: as it is, in a repr, in JSON."""
    return {value, repr(value)[1:-1], json.dumps(value)[1:-1]} - {""}
