"""The four states of a session, as small frozen values.

A session is always in exactly one of them; ``status`` names it as Impact's
session guide's TypeScript union did::

    Authenticated ──sign_in()──▶ SigningIn ──answer──▶ Authenticated
          ▲                          │
          │                          └──failure──▶ SessionError(message)
          └─ (anonymous: no user)    any ──sign_out()/expiry──▶ SignedOut

>>> from impact_rx.session import Authenticated, SessionError
>>> Authenticated().status
'AUTHENTICATED'
>>> SessionError("Wrong password.")
SessionError(error='Wrong password.')
>>> Authenticated() == Authenticated()
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, TypeAlias, final

__all__ = [
    "Authenticated",
    "SessionError",
    "SessionState",
    "SessionStatus",
    "SignedOut",
    "SigningIn",
]

SessionStatus: TypeAlias = Literal["AUTHENTICATED", "SIGNING_IN", "SIGNED_OUT", "ERROR"]


@final
@dataclass(frozen=True, slots=True)
class Authenticated:
    """Somebody, or nobody (an anonymous session), is authenticated.

    Who it is lives in ``SessionService.user``; an anonymous session is
    ``Authenticated`` with no user.
    """

    status: ClassVar[Literal["AUTHENTICATED"]] = "AUTHENTICATED"


@final
@dataclass(frozen=True, slots=True)
class SigningIn:
    """A sign-in request is on its way to the server."""

    status: ClassVar[Literal["SIGNING_IN"]] = "SIGNING_IN"


@final
@dataclass(frozen=True, slots=True)
class SignedOut:
    """Nobody is signed in: after ``sign_out()`` or an expired session."""

    status: ClassVar[Literal["SIGNED_OUT"]] = "SIGNED_OUT"


@final
@dataclass(frozen=True, slots=True)
class SessionError:
    """The last sign-in failed.

    Attributes:
        error: A readable message for people; never a password or token.
    """

    error: str
    status: ClassVar[Literal["ERROR"]] = "ERROR"


SessionState: TypeAlias = Authenticated | SigningIn | SignedOut | SessionError
"""Any of the four states; ``isinstance(x, SessionState)`` works too."""
