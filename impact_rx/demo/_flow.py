"""``python -m impact_rx.demo``: Impact's session guide's session flow, over real HTTP.

The demo starts :class:`~impact_rx.demo.server.AuthServer` on loopback with
one user, then drives a session the way an application would:

1. an application provider holds the ``HttpAuthApi`` and the
   ``AuthenticatorService``; ``authenticate()`` gives a Suspense of the
   restored user (``None``: anonymous);
2. a child provider holds the ``SessionService`` with ``USER`` set to it;
3. the demo signs in with a wrong password, then with the password (the
   given one, else the demo user's built-in one), waits for the session to
   refresh its short-lived token, and signs out.

Every state of ``signal_of(session, "state")`` and every ``session.events``
event is printed as it happens, with a timestamp and the user's name, never
a token or a password. ``--url``, ``--username`` and ``--password`` point
the demo at another server that speaks the contract of
:mod:`impact_rx.session.http`.

Exit status: 0 when the flow ran (a refused sign-in, or a server that
answers with an error, is part of the flow: the demo says what happened), 1
when the server cannot be reached at all (no connection, or no answer in
time), 2 for bad arguments (or, from ``python -m impact_rx.demo``, when
the ``http`` extra is not installed: it prints the advice alone), 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO
from urllib.parse import urlsplit

from .._extras import missing_extra

try:
    import httpx
except ModuleNotFoundError as exc:  # the [http] extra is not installed
    raise missing_extra(
        exc, needed_by="python -m impact_rx.demo", extra="http"
    ) from exc

from .._services import ServiceProvider
from .._signal import signal_of
from ..session import (
    USER,
    AuthApi,
    AuthenticatorService,
    AuthUnavailableError,
    Credentials,
    SessionError,
    SessionEvent,
    SessionService,
    SessionState,
    User,
)
from ..session.http import HttpAuthApi
from . import DEMO_NAME, DEMO_PASSWORD, DEMO_USERNAME
from .server import AuthServer

__all__ = ["main"]

_PASSWORD_ENV = "IMPACT_RX_DEMO_PASSWORD"
_LONGEST_REFRESH_WAIT = 10.0
"""Seconds: tokens that live longer are not waited for."""


class _Unreachable(Exception):
    """The server could not be reached; the demo stops."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit status.

    Args:
        argv: The command-line arguments, without the program name; by
            default ``sys.argv[1:]``.
    """
    args = _parser().parse_args(argv)
    out = sys.stdout
    args.password, args.attempt = _password(args)

    try:
        if args.url is not None:
            return asyncio.run(_run(args.url, args, out))

        with AuthServer(access_token_lifetime=args.token_lifetime) as server:
            server.add_user(args.username, args.password, name=DEMO_NAME)
            _say(out, f"Embedded auth server at {server.url}, user {args.username!r}.")
            return asyncio.run(_run(server.url, args, out))
    except KeyboardInterrupt:
        _say(out, "Interrupted.")
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m impact_rx.demo",
        description="Watch an impact_rx session sign in, refresh and sign out"
        " against a real auth server.",
    )
    parser.add_argument(
        "--url",
        type=_url,
        help="an auth server that speaks the impact_rx contract;"
        " default: start an embedded one on 127.0.0.1",
    )
    parser.add_argument(
        "--username", default=DEMO_USERNAME, help="default: %(default)s"
    )
    parser.add_argument(
        "--password",
        help=f"default: ${_PASSWORD_ENV}, else the embedded demo user's"
        " built-in password (also with --url)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=5.0,
        help="seconds per request (default: %(default)s)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=_seconds,
        default=0.8,
        help="seconds an access token of the embedded server lives,"
        " short so the demo shows a refresh (default: %(default)s)",
    )
    return parser


def _password(args: argparse.Namespace) -> tuple[str, str]:
    """The password to sign in with, and how to label the attempt with it.

    Only a password the demo chose itself, for the server it started, is
    known to be right; one that was given, or the built-in one sent to
    another server, is labelled as what it is.
    """
    given = (
        args.password if args.password is not None else os.environ.get(_PASSWORD_ENV)
    )
    if given is not None:
        return given, "the given password"
    if args.url is None:
        return DEMO_PASSWORD, "the right password"
    return DEMO_PASSWORD, "the demo user's built-in password"


def _url(text: str) -> str:
    try:
        parts = urlsplit(text)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and parts.port != 0  # reading it checks its range
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(
            f"expected an http:// or https:// URL with a host, got {text!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise argparse.ArgumentTypeError(
            "expected a URL without a user or password; use --username and"
            " --password (or $IMPACT_RX_DEMO_PASSWORD)"
        )
    return text


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected positive seconds, got {text!r}")
    return seconds


async def _run(url: str, args: argparse.Namespace, out: TextIO) -> int:
    async with HttpAuthApi(url, timeout=args.timeout) as api:
        try:
            await _flow(api, args, out)
        except _Unreachable as exc:
            _say(out, f"Cannot reach the auth server at {url}: {exc}")
            return 1
    return 0


async def _flow(api: HttpAuthApi, args: argparse.Namespace, out: TextIO) -> None:
    username, password = args.username, args.password
    with ServiceProvider([AuthenticatorService], {AuthApi: api}, name="app") as app:
        _say(out, "Authenticating (restoring a stored session)...")
        try:
            user = await app.get(AuthenticatorService).authenticate()
        except AuthUnavailableError as exc:
            if _unreachable(exc) is not None:
                raise _Unreachable(str(exc)) from exc
            _say(out, f"The server could not restore a session ({exc}).")
            _say(out, "Carrying on anonymously.")
            user = None

        with ServiceProvider([SessionService], {USER: user}, name="session") as scope:
            session = scope.get(SessionService)
            refreshed = asyncio.Event()
            signal_of(session, "state").subscribe(
                lambda state: _print_state(out, state, session.user)
            )
            session.events.on(lambda event: _print_event(out, event, refreshed))

            _say(out, f"Signing in as {username!r} with a wrong password...")
            await _sign_in(session, Credentials(username, password + "?"))
            _say(out, f"Signing in as {username!r} with {args.attempt}...")
            if not await _sign_in(session, Credentials(username, password)):
                _say(out, "The demo could not sign in; see the reason above.")
                return

            await _wait_for_refresh(api, refreshed, args.timeout, out)
            _say(out, "Signing out...")
            await _sign_out(session, out)


async def _sign_in(session: SessionService, credentials: Credentials) -> bool:
    """Sign in; whether it worked. Raises ``_Unreachable`` when it cannot."""
    try:
        await session.sign_in(credentials)
    except Exception as exc:
        unreachable = _unreachable(exc)
        if unreachable is not None:
            raise _Unreachable(str(unreachable)) from exc
        return False
    return session.state.status == "AUTHENTICATED" and session.user is not None


async def _sign_out(session: SessionService, out: TextIO) -> None:
    """Sign out; the session ends at once, the server is told afterwards."""
    try:
        await session.sign_out()
    except Exception as exc:
        unreachable = _unreachable(exc)
        if unreachable is not None:
            raise _Unreachable(str(unreachable)) from exc
        _say(out, f"Signed out here, but the server did not confirm it: {exc}")


async def _wait_for_refresh(
    api: HttpAuthApi, refreshed: asyncio.Event, request_timeout: float, out: TextIO
) -> None:
    """Wait for ``TOKEN_REFRESHED``: due before expiry, plus one request's time."""
    tokens = api.store.load()
    lifetime = None if tokens is None else tokens.expires_in
    if lifetime is None or lifetime > _LONGEST_REFRESH_WAIT:
        _say(out, "The server's tokens are long-lived; not waiting for a refresh.")
        return

    _say(out, f"Waiting for the session to refresh its {lifetime:g} s token...")
    try:
        await asyncio.wait_for(refreshed.wait(), timeout=lifetime + request_timeout)
    except TimeoutError:
        _say(out, "No refresh happened in time; carrying on.")


def _unreachable(exc: BaseException | None) -> AuthUnavailableError | None:
    """The ``AuthUnavailableError`` behind ``exc`` if no answer came at all.

    A connection that failed or timed out is that; a server that answered
    (with a 5xx, say) was reached, and its answer is part of the flow.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, AuthUnavailableError):
            if isinstance(exc.__cause__, httpx.TransportError):
                return exc
            return None
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _print_state(out: TextIO, state: SessionState, user: User | None) -> None:
    if isinstance(state, SessionError):
        detail = state.error
    elif state.status == "AUTHENTICATED":
        detail = "anonymous" if user is None else user.name
    else:
        detail = ""
    _line(out, "state", state.status, detail)


def _print_event(out: TextIO, event: SessionEvent, refreshed: asyncio.Event) -> None:
    details = [event.user.name if event.user is not None else ""]
    if event.reason is not None:
        details.append(f"reason: {event.reason}")
    if event.error is not None:
        details.append(event.error)
    _line(out, "event", event.type, ", ".join(d for d in details if d))
    if event.type == "TOKEN_REFRESHED":
        refreshed.set()


def _line(out: TextIO, kind: str, name: str, detail: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S.%f")[:-3]
    print(f"{stamp}  {kind:<5}  {name:<15}  {detail}".rstrip(), file=out, flush=True)


def _say(out: TextIO, text: str) -> None:
    print(f"-- {text}", file=out, flush=True)
