"""``session_provider``: Impact's session guide's ``AppFeature`` in one call.

It opens a provider with an :class:`AuthenticatorService`, restores the
stored session, and once that settles opens a child provider with
:class:`SessionService` and ``USER``: the restored user, or ``None`` for an
anonymous session. Nobody can see the session before it knows who is signed
in, so nobody ever sees a ``SIGNED_OUT`` that is only a restore in progress.

>>> import reactivex
>>> from impact_rx import signal_of
>>> from impact_rx.session import (
...     Credentials, SessionService, User, session_provider,
... )
>>> class Api:
...     def authenticate(self): return reactivex.of(None)  # nobody stored
...     def sign_in(self, credentials): return reactivex.of(User("1", "Ada"))
...     def sign_out(self): return reactivex.empty()
>>> opening = session_provider(Api())
>>> with opening.use() as provider:
...     session = provider.get(SessionService)
...     _ = signal_of(session, "state").subscribe(lambda s: print(s.status))
...     _ = session.sign_in(Credentials("ada", "correct horse"))
...     print(session.user.name)
AUTHENTICATED
SIGNING_IN
AUTHENTICATED
Ada

In async code, await it; the provider closes at the end of ``async with``::

    async with await session_provider(HttpAuthApi(url)) as provider:
        session = provider.get(SessionService)
"""

from __future__ import annotations

from random import Random
from typing import Any

import reactivex
from reactivex import abc
from reactivex import operators as ops
from reactivex.disposable import CompositeDisposable
from reactivex.disposable import Disposable as RxDisposable

from .._services import ServiceProvider
from .._suspense import Fulfilled, Pending, Rejected, State, Suspense
from ._api import AuthApi
from ._authenticator import AuthenticatorService
from ._refresh import RefreshPolicy
from ._service import USER, SessionService

__all__ = ["session_provider"]


def session_provider(
    api: AuthApi,
    *,
    parent: ServiceProvider | None = None,
    scheduler: abc.SchedulerBase | None = None,
    name: str = "session",
    policy: RefreshPolicy | None = None,
    random: Random | None = None,
) -> Suspense[ServiceProvider]:
    """Authenticate, then open the session's provider.

    Args:
        api: The authentication server.
        parent: The provider to open under; by default the one entered with
            ``with``, if any.
        scheduler: For every service opened here (virtual time in tests);
            by default the parent's, or the running asyncio loop's.
        name: Names the session's provider; its parent, which holds the
            ``AuthenticatorService``, is ``"<name>.authenticator"``.
        policy: The token refresh policy for ``SessionService``.
        random: The source of retry jitter for ``SessionService``.

    Returns:
        A Suspense of the provider that registers ``SessionService`` and
        ``USER``. Disposing that provider also disposes the authenticator's.
        When the restore fails (the server cannot be reached), the Suspense
        rejects with that error and nothing stays open.
    """
    values: dict[Any, object] = {AuthApi: api}
    authenticator_provider = ServiceProvider(
        [AuthenticatorService],
        values,
        parent=parent,
        scheduler=scheduler,
        name=f"{name}.authenticator",
    )
    restore = authenticator_provider.get(AuthenticatorService).authenticate()

    def open_session(state: State[Any]) -> reactivex.Observable[ServiceProvider]:
        if not isinstance(state, Fulfilled):
            authenticator_provider.dispose()
            return reactivex.throw(_reason(state))

        session_values: dict[Any, object] = {USER: state.value}
        if policy is not None:
            session_values[RefreshPolicy] = policy
        if random is not None:
            session_values[Random] = random
        provider = ServiceProvider(
            [SessionService], session_values, parent=authenticator_provider, name=name
        )
        provider.on_dispose(authenticator_provider.dispose)
        provider.get(SessionService)  # built now: its refresh timer starts
        return reactivex.return_value(provider)

    opened = restore.pipe(
        ops.filter(lambda state: not isinstance(state, Pending)),
        ops.take(1),
        ops.flat_map(open_session),
    )
    return Suspense.from_(_disposing_unless_opened(opened, authenticator_provider))


def _disposing_unless_opened(
    opened: reactivex.Observable[ServiceProvider], provider: ServiceProvider
) -> reactivex.Observable[ServiceProvider]:
    """``opened``, disposing ``provider`` when abandoned before it answers."""

    def subscribe(
        observer: abc.ObserverBase[ServiceProvider],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        answered = False

        def on_next(value: ServiceProvider) -> None:
            nonlocal answered
            answered = True
            observer.on_next(value)

        def abandon() -> None:
            if not answered:
                provider.dispose()

        subscription = opened.subscribe(
            on_next, observer.on_error, observer.on_completed, scheduler=scheduler
        )
        return CompositeDisposable(subscription, RxDisposable(abandon))

    return reactivex.create(subscribe)


def _reason(state: State[Any]) -> Exception:
    reason = state.reason if isinstance(state, Rejected) else None
    if isinstance(reason, Exception):
        return reason
    return RuntimeError("the restore of the stored session was cancelled")
