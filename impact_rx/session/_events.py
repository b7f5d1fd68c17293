"""What just happened to a session: the events ``SessionService.events`` emits.

``state`` answers *who is signed in now* and replays it to every new
subscriber; ``events`` answers *what just happened* and replays nothing, so
a listener that arrives late misses earlier events, exactly as it should
miss a "signed in" toast from before it existed.

>>> from impact_rx.session import SessionEvent, User
>>> ada = User("1", "Ada")
>>> SessionEvent("SIGNED_IN", user=ada)
SessionEvent('SIGNED_IN', user=User(id='1', name='Ada'))
>>> SessionEvent("SIGNED_OUT", user=ada, reason="expired").reason
'expired'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias, final

from ._api import User

__all__ = ["SessionEvent", "SessionEventType", "SignOutReason"]

SessionEventType: TypeAlias = Literal[
    "SIGNED_IN", "SIGNED_OUT", "TOKEN_REFRESHED", "USER_UPDATED", "SIGN_IN_FAILED"
]

SignOutReason: TypeAlias = Literal["user", "expired", "revoked"]
"""Why a session ended: the user asked, the tokens could not be renewed, or
the server or the application revoked it."""


@final
@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One thing that happened to a session.

    Attributes:
        type: ``SIGNED_IN``, ``SIGNED_OUT``, ``TOKEN_REFRESHED``,
            ``USER_UPDATED`` or ``SIGN_IN_FAILED``.
        user: The user it concerns: who signed in, who was signed out, whose
            tokens were refreshed, the updated user. ``None`` for a failed
            sign-in and for an anonymous session.
        reason: For ``SIGNED_OUT``: ``"user"``, ``"expired"`` or
            ``"revoked"``.
        error: For ``SIGN_IN_FAILED``: the readable message, the same as in
            the ``SessionError`` state.
    """

    type: SessionEventType
    user: User | None = None
    reason: SignOutReason | None = None
    error: str | None = None

    def __repr__(self) -> str:
        parts = [repr(self.type)]
        for name in ("user", "reason", "error"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"SessionEvent({', '.join(parts)})"
