"""The session services over real loopback HTTP, against the embedded server."""

from __future__ import annotations

import asyncio
import logging
import pickle
import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from impact_rx import ServiceProvider, signal_of
from impact_rx.debug import trace
from impact_rx.demo.server import AuthServer
from impact_rx.notebook import html_repr
from impact_rx.session import (
    Authenticated,
    AuthenticatorService,
    AuthProtocolError,
    AuthRejectedError,
    AuthUnavailableError,
    Credentials,
    Secret,
    SessionError,
    SessionEvent,
    SessionService,
    SignedOut,
    SigningIn,
    Tokens,
    User,
    session_provider,
)
from impact_rx.session.http import HttpAuthApi

PASSWORD = "correct horse battery"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[AuthServer]:
    with AuthServer(
        access_token_lifetime=60,
        refresh_token_lifetime=600,
        clock=FakeClock(),
        scrypt_n=2**8,
    ) as server:
        server.add_user("ada", PASSWORD, name="Ada Lovelace")
        yield server


@pytest.fixture
async def provider(server: AuthServer) -> AsyncIterator[ServiceProvider]:
    async with HttpAuthApi(server.url, timeout=5) as api:
        provider = await session_provider(api)
        yield provider
        await provider.aclose()


async def test_the_session_guide_flow_runs_over_http(provider: ServiceProvider) -> None:
    session = provider.get(SessionService)
    states: list[object] = []
    events: list[SessionEvent] = []
    signal_of(session, "state").subscribe(states.append)
    session.events.subscribe(events.append)

    with pytest.raises(AuthRejectedError, match="401"):
        await session.sign_in(Credentials("ada", "wrong"))
    user = await session.sign_in(Credentials("ada", PASSWORD))
    await session.sign_out()

    assert user == session_user(events)
    assert [type(s).__name__ for s in states] == [
        "Authenticated",
        "SigningIn",
        "SessionError",
        "SigningIn",
        "Authenticated",
        "SignedOut",
    ]
    assert isinstance(states[2], SessionError) and "401" in states[2].error
    assert [e.type for e in events] == ["SIGN_IN_FAILED", "SIGNED_IN", "SIGNED_OUT"]


def session_user(events: list[SessionEvent]) -> User | None:
    return next(e.user for e in events if e.type == "SIGNED_IN")


async def test_concurrent_refreshes_send_one_request_to_a_rotating_server(
    provider: ServiceProvider, server: AuthServer
) -> None:
    session = provider.get(SessionService)
    await session.sign_in(Credentials("ada", PASSWORD))
    before = await session.access_token()

    refreshes = [session.refresh() for _ in range(10)]
    tokens = await asyncio.gather(*refreshes)

    assert len({id(r) for r in refreshes}) == 1
    assert tokens[0] is not None and tokens[0] != before
    assert [r.path for r in server.requests].count("/api/session/refresh") == 1
    assert session.state == Authenticated()
    assert await session.access_token() == tokens[0]


async def test_a_refresh_the_server_refuses_signs_out_as_expired(
    provider: ServiceProvider, server: AuthServer
) -> None:
    session = provider.get(SessionService)
    await session.sign_in(Credentials("ada", PASSWORD))
    events: list[SessionEvent] = []
    session.events.subscribe(events.append)

    server.fail_next(401)
    with pytest.raises(AuthRejectedError, match="401"):
        await session.refresh()

    assert session.state == SignedOut()
    assert [(e.type, e.reason) for e in events] == [("SIGNED_OUT", "expired")]
    assert events[0].user is not None and events[0].user.name == "Ada Lovelace"


async def test_a_server_error_during_refresh_keeps_the_session(
    provider: ServiceProvider, server: AuthServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="impact_rx.session")
    session = provider.get(SessionService)
    await session.sign_in(Credentials("ada", PASSWORD))

    server.fail_next(503)
    with pytest.raises(AuthUnavailableError, match="503"):
        await session.refresh()

    assert session.state == Authenticated()
    assert "retries in" in caplog.text


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_server_that_is_down_fails_the_restore_clearly() -> None:
    async with HttpAuthApi(f"http://127.0.0.1:{closed_port()}", timeout=2) as api:
        api.store.save(Tokens(Secret("stale"), Secret("stale-refresh"), 60))
        with pytest.raises(AuthUnavailableError, match=r"127\.0\.0\.1"):
            await session_provider(api)


async def test_a_sign_in_against_a_server_that_is_down_is_a_session_error() -> None:
    async with HttpAuthApi(f"http://127.0.0.1:{closed_port()}", timeout=2) as api:
        provider = await session_provider(api)
        session = provider.get(SessionService)
        attempt = session.sign_in(Credentials("ada", PASSWORD))
        assert session.state == SigningIn()
        with pytest.raises(AuthUnavailableError, match=r"127\.0\.0\.1"):
            await attempt
        assert isinstance(session.state, SessionError)
        assert "127.0.0.1" in session.state.error
        await provider.aclose()


async def test_a_malformed_answer_is_a_readable_session_error(
    provider: ServiceProvider, server: AuthServer
) -> None:
    session = provider.get(SessionService)
    server.fail_next(200, body=b"<html>not json</html>")

    with pytest.raises(AuthProtocolError, match="POST /api/session"):
        await session.sign_in(Credentials("ada", PASSWORD))

    assert isinstance(session.state, SessionError)
    assert "POST /api/session" in session.state.error
    assert "<html>" not in session.state.error


async def test_an_unknown_user_is_a_readable_session_error(
    provider: ServiceProvider,
) -> None:
    session = provider.get(SessionService)
    with pytest.raises(AuthRejectedError, match="Wrong username or password"):
        await session.sign_in(Credentials("grace", PASSWORD))
    assert session.state == SessionError(
        "POST /api/session was refused (401): Wrong username or password."
    )


async def test_an_expired_stored_token_restores_with_one_token_refreshed() -> None:
    clock = FakeClock()
    with AuthServer(
        access_token_lifetime=60, refresh_token_lifetime=600, clock=clock, scrypt_n=2**8
    ) as server:
        server.add_user("ada", PASSWORD, name="Ada Lovelace")
        async with HttpAuthApi(server.url, timeout=5) as first:
            signed_in = await first.sign_in(Credentials("ada", PASSWORD))
        clock.now += 61  # the stored access token has expired; its refresh has not

        async with HttpAuthApi(server.url, timeout=5, store=first.store) as api:
            provider = await session_provider(api)
            session = provider.get(SessionService)
            states: list[object] = []
            events: list[SessionEvent] = []
            refreshed = asyncio.Event()
            signal_of(session, "state").subscribe(states.append)
            session.events.subscribe(events.append)
            session.events.subscribe(lambda _: refreshed.set())

            await asyncio.wait_for(refreshed.wait(), timeout=5)
            token = await session.access_token()
            await provider.aclose()

    assert states == [Authenticated()]
    assert events == [SessionEvent("TOKEN_REFRESHED", user=signed_in.user)]
    assert token is not None and token != signed_in.tokens.access_token
    assert token == api.store.load().access_token  # type: ignore[union-attr]
    assert [(r.method, r.path, r.status) for r in server.requests[1:]] == [
        ("GET", "/api/session", 401),
        ("POST", "/api/session/refresh", 200),
    ]


async def test_no_secret_shows_anywhere_in_a_full_flow_over_http(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    secrets = [PASSWORD, "wrong-password-5d4c"]
    shown: list[str] = []

    def show(*objects: object) -> None:
        for obj in objects:
            shown.extend([repr(obj), str(obj), html_repr(obj)])
            try:
                shown.append(repr(pickle.dumps(obj)))
            except Exception as error:
                shown.extend([repr(error), str(error)])

    def keep(tokens: Tokens | None) -> None:
        if tokens is not None:
            secrets.append(tokens.access_token.reveal())
            if tokens.refresh_token is not None:
                secrets.append(tokens.refresh_token.reveal())

    with AuthServer(
        access_token_lifetime=60, refresh_token_lifetime=600, clock=clock, scrypt_n=2**8
    ) as server:
        server.add_user("ada", PASSWORD, name="Ada Lovelace")
        with trace():
            async with HttpAuthApi(server.url, timeout=5) as api:
                opening = session_provider(api)
                show(opening)
                provider = await opening
                session = provider.get(SessionService)
                session.events.subscribe(lambda e: shown.append(repr(e)))
                signal_of(session, "state").subscribe(lambda s: shown.append(repr(s)))
                with pytest.raises(AuthRejectedError, match="401") as wrong:
                    await session.sign_in(Credentials("ada", secrets[1]))
                attempt = session.sign_in(Credentials("ada", PASSWORD))
                await attempt
                keep(api.store.load())
                clock.now += 61
                renewal = session.refresh()
                await renewal
                keep(api.store.load())
                server.fail_next(503)
                with pytest.raises(AuthUnavailableError, match="503") as down:
                    await session.refresh()
                show(
                    wrong.value,
                    down.value,
                    attempt,
                    renewal,
                    session.access_token(),
                    session,
                    provider,
                    api,
                    api.store,
                    signal_of(session, "state"),
                    signal_of(session, "user"),
                    session.events,
                    provider.get(AuthenticatorService),
                    provider.get(AuthenticatorService).authenticate(),
                    Credentials("ada", PASSWORD),
                    api.store.load(),
                )
                await session.sign_out()
                await provider.aclose()

    shown += [r.getMessage() for r in caplog.records]
    shown += [str(getattr(r, "traced_write", "")) for r in caplog.records]
    assert len(secrets) == 6
    assert any("TOKEN_REFRESHED" in text for text in shown)
    assert any(r.name == "impact_rx.debug" for r in caplog.records)
    for secret in secrets:
        assert [text for text in shown if secret in text] == []


RENEWED = {
    "user": {"id": "1", "name": "Ada Lovelace"},
    "access_token": "access-renewed-0f9e8d",
    "refresh_token": "refresh-renewed-0f9e8d",
    "token_type": "Bearer",
    "expires_in": 60,
}


async def test_a_sign_out_during_a_refresh_in_flight_stays_signed_out_after_restart(
    server: AuthServer,
) -> None:
    async with HttpAuthApi(server.url, timeout=5) as api:
        provider = await session_provider(api)
        session = provider.get(SessionService)
        await session.sign_in(Credentials("ada", PASSWORD))

        # The server renews before it hears the sign-out, and answers after.
        server.fail_next(200, body=RENEWED, method="POST")
        arrived = server.stall_next()
        renewal = session.refresh()
        await asyncio.get_running_loop().run_in_executor(None, arrived.wait, 5)
        exchange = list(api._exchanging.values())  # shielded: outlives the cancel
        await session.sign_out()
        server.release()
        with pytest.raises(asyncio.CancelledError):
            await renewal
        await asyncio.wait(exchange, timeout=5)
        await provider.aclose()

    assert session.state == SignedOut()
    assert api.store.load() is None
    async with HttpAuthApi(server.url, store=api.store) as restarted:
        assert await restarted.authenticate() is None
