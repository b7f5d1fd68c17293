"""Sessions: who is signed in, and how that changes.

Impact's session guide's ``SessionService`` and ``AuthenticatorService``, finished.

Two streams answer two different questions:

- ``signal_of(session, "state")`` answers **who is signed in now?** It is a
  signal: every new subscriber first receives the current state, then each
  change (``Authenticated``, ``SigningIn``, ``SignedOut``,
  ``SessionError``). Read ``session.user`` beside it for *who*.
- ``session.events`` answers **what just happened?** It is an ``Emitter``
  of :class:`SessionEvent` (``SIGNED_IN``, ``SIGNED_OUT`` with a reason,
  ``TOKEN_REFRESHED``, ``USER_UPDATED``, ``SIGN_IN_FAILED``) and replays
  nothing: a listener only hears what happens after it subscribed.

Render from ``state``; react to ``events`` (a toast, an analytics call, a
redirect after ``SIGNED_OUT``):

>>> import reactivex
>>> from impact_rx import ServiceProvider, signal_of
>>> from impact_rx.session import (
...     USER, AuthApi, AuthRejectedError, Credentials, SessionService, User,
... )
>>> class Api:
...     def authenticate(self): return reactivex.of(None)
...     def sign_in(self, credentials):
...         if credentials.password.reveal() != "correct horse":
...             return reactivex.throw(AuthRejectedError("Wrong password."))
...         return reactivex.of(User("1", "Ada"))
...     def sign_out(self): return reactivex.empty()
>>> with ServiceProvider([SessionService], {USER: None, AuthApi: Api()}) as app:
...     session = app.get(SessionService)
...     _ = signal_of(session, "state").subscribe(lambda s: print("state", s))
...     _ = session.events.subscribe(lambda e: print("event", e))
...     _ = session.sign_in(Credentials("ada", "tr0ub4dor"))
...     _ = session.sign_in(Credentials("ada", "correct horse"))
...     _ = session.sign_out()
state Authenticated()
state SigningIn()
state SessionError(error='Wrong password.')
event SessionEvent('SIGN_IN_FAILED', error='Wrong password.')
state SigningIn()
state Authenticated()
event SessionEvent('SIGNED_IN', user=User(id='1', name='Ada'))
state SignedOut()
event SessionEvent('SIGNED_OUT', user=User(id='1', name='Ada'), reason='user')

Start an application with :func:`session_provider`, which restores the
stored session before anything can observe it.
"""

from .._exports import publish
from ._api import (
    AuthApi,
    AuthError,
    AuthProtocolError,
    AuthRejectedError,
    AuthSession,
    AuthUnavailableError,
    Credentials,
    Secret,
    Tokens,
    User,
)
from ._authenticator import AuthenticatorService
from ._events import SessionEvent, SessionEventType, SignOutReason
from ._provider import session_provider
from ._refresh import RefreshPolicy
from ._service import USER, SessionService
from ._states import (
    Authenticated,
    SessionError,
    SessionState,
    SessionStatus,
    SignedOut,
    SigningIn,
)

__all__ = [
    "USER",
    "AuthApi",
    "AuthError",
    "AuthProtocolError",
    "AuthRejectedError",
    "AuthSession",
    "AuthUnavailableError",
    "Authenticated",
    "AuthenticatorService",
    "Credentials",
    "RefreshPolicy",
    "Secret",
    "SessionError",
    "SessionEvent",
    "SessionEventType",
    "SessionService",
    "SessionState",
    "SessionStatus",
    "SignOutReason",
    "SignedOut",
    "SigningIn",
    "Tokens",
    "User",
    "session_provider",
]

publish(globals(), __all__)
del publish  # a helper: not for tab completion (and Rx has a publish)
