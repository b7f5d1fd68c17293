"""``HttpAuthApi`` against the embedded server over real loopback HTTP."""

from __future__ import annotations

import asyncio
import importlib
import logging
import socket
import sys
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from impact_rx.demo.server import AuthServer, RequestRecord
from impact_rx.session import (
    AuthApi,
    AuthProtocolError,
    AuthRejectedError,
    AuthSession,
    AuthUnavailableError,
    Credentials,
    Secret,
    Tokens,
    User,
)
from impact_rx.session.http import HttpAuthApi, MemoryTokenStore, TokenStore

PASSWORD = "correct horse battery"
ADA = Credentials("ada", PASSWORD)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[AuthServer]:
    with AuthServer(
        access_token_lifetime=60, refresh_token_lifetime=600, clock=clock, scrypt_n=2**8
    ) as server:
        server.add_user("ada", PASSWORD, name="Ada Lovelace")
        yield server


@pytest.fixture
async def api(server: AuthServer) -> AsyncIterator[HttpAuthApi]:
    async with HttpAuthApi(server.url, timeout=5) as api:
        yield api


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_it_is_an_auth_api_and_its_store_a_token_store() -> None:
    api = HttpAuthApi("http://127.0.0.1:1")

    assert isinstance(api, AuthApi)
    assert isinstance(api.store, TokenStore)
    assert repr(api) == "<HttpAuthApi http://127.0.0.1:1 signed out>"


async def test_sign_in_answers_the_user_and_keeps_the_tokens(
    api: HttpAuthApi,
) -> None:
    session = await api.sign_in(ADA)

    assert session.user == User(id=session.user.id, name="Ada Lovelace")
    assert session.tokens.expires_in == 60.0
    assert session.tokens.refresh_token is not None
    assert api.store.load() == session.tokens
    assert repr(api).endswith("signed in>")
    assert session.tokens.access_token.reveal() not in repr(session)


async def test_authenticate_without_stored_tokens_is_anonymous_without_a_request(
    server: AuthServer, api: HttpAuthApi
) -> None:
    assert await api.authenticate() is None
    assert server.requests == ()


async def test_authenticate_restores_a_stored_session(
    server: AuthServer, clock: FakeClock
) -> None:
    store = MemoryTokenStore()
    async with HttpAuthApi(server.url, store=store) as first:
        signed_in = await first.sign_in(ADA)
    clock.now += 20

    async with HttpAuthApi(server.url, store=store) as second:
        restored = await second.authenticate()

    assert restored == AuthSession(
        signed_in.user,
        Tokens(signed_in.tokens.access_token, signed_in.tokens.refresh_token, 40.0),
    )


async def test_an_expired_token_restores_as_expired_and_refresh_reuses_its_exchange(
    server: AuthServer, api: HttpAuthApi, clock: FakeClock
) -> None:
    signed_in = await api.sign_in(ADA)
    clock.now += 61

    restored = await api.authenticate()
    stored = api.store.load()
    renewed = await api.refresh(signed_in.tokens.refresh_token)  # type: ignore[arg-type]

    assert restored == AuthSession(
        signed_in.user,
        Tokens(signed_in.tokens.access_token, signed_in.tokens.refresh_token, 0.0),
    )
    assert stored is not None and stored.access_token != signed_in.tokens.access_token
    assert stored.refresh_token != signed_in.tokens.refresh_token
    assert renewed == stored
    assert server.requests[1:] == (
        RequestRecord("GET", "/api/session", 401),
        RequestRecord("POST", "/api/session/refresh", 200),
    )


async def test_authenticate_forgets_a_session_the_server_no_longer_accepts(
    api: HttpAuthApi, clock: FakeClock
) -> None:
    await api.sign_in(ADA)
    clock.now += 601

    assert await api.authenticate() is None
    assert api.store.load() is None


async def test_authenticate_keeps_the_tokens_when_the_server_is_down(
    server: AuthServer, api: HttpAuthApi
) -> None:
    session = await api.sign_in(ADA)
    server.fail_next(503)

    with pytest.raises(AuthUnavailableError, match=r"GET /api/session failed with 503"):
        await api.authenticate()
    assert api.store.load() == session.tokens


async def test_refresh_rotates_the_tokens_and_a_reused_one_is_rejected(
    server: AuthServer, api: HttpAuthApi
) -> None:
    session = await api.sign_in(ADA)
    old = session.tokens.refresh_token
    assert old is not None

    new = await api.refresh(old)

    assert new.access_token != session.tokens.access_token
    assert new.refresh_token != old
    assert api.store.load() == new
    async with HttpAuthApi(server.url) as copy:  # someone holding a copy
        with pytest.raises(
            AuthRejectedError,
            match=r"^POST /api/session/refresh was refused \(401\):"
            r" This refresh token was already used; the session is revoked\.",
        ):
            await copy.refresh(old)
    assert await api.current_user() is None


async def test_sign_out_ends_the_session_on_the_server_and_forgets_the_tokens(
    server: AuthServer, api: HttpAuthApi
) -> None:
    session = await api.sign_in(ADA)

    await api.sign_out()

    assert api.store.load() is None
    assert server.requests[-1] == RequestRecord("DELETE", "/api/session", 204)
    api.store.save(session.tokens)
    assert await api.current_user() is None


async def test_signing_out_a_session_the_server_already_ended_is_quiet(
    server: AuthServer, api: HttpAuthApi
) -> None:
    await api.sign_in(ADA)
    server.fail_next(401)

    await api.sign_out()
    await api.sign_out()

    assert api.store.load() is None
    assert len(server.requests) == 2


async def test_a_wrong_password_is_a_definitive_rejection_with_the_servers_reason(
    api: HttpAuthApi,
) -> None:
    with pytest.raises(
        AuthRejectedError,
        match=r"^POST /api/session was refused \(401\): Wrong username or password\.$",
    ):
        await api.sign_in(Credentials("ada", "wrong"))
    assert api.store.load() is None


async def test_an_unknown_user_is_rejected_the_same_way(api: HttpAuthApi) -> None:
    with pytest.raises(AuthRejectedError, match=r"Wrong username or password\.$"):
        await api.sign_in(Credentials("nobody", PASSWORD))


@pytest.mark.parametrize(
    ("status", "phrase"),
    [
        (500, "Internal Server Error"),
        (503, "Service Unavailable"),
        (429, "Too Many Requests"),
    ],
)
async def test_server_failures_are_retryable(
    server: AuthServer, api: HttpAuthApi, status: int, phrase: str
) -> None:
    server.fail_next(status)

    with pytest.raises(
        AuthUnavailableError,
        match=rf"^POST /api/session failed with {status} {phrase}:"
        rf" {phrase} \(injected\)\."
        r" The server may be down or overloaded; retry later\.$",
    ):
        await api.sign_in(ADA)


async def test_a_closed_port_is_unavailable_and_names_the_url() -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    async with HttpAuthApi(url) as api:
        with pytest.raises(
            AuthUnavailableError,
            match=rf"^POST /api/session could not reach {url} \(ConnectError\)\."
            r" Check that the server is running and the URL is right\.$",
        ):
            await api.sign_in(ADA)


async def test_a_timeout_is_unavailable(server: AuthServer) -> None:
    server.stall_next()

    async with HttpAuthApi(server.url, timeout=0.05) as api:
        with pytest.raises(
            AuthUnavailableError,
            match=rf"^POST /api/session timed out waiting for {server.url}\."
            r" The server is slow or stuck; retry later or raise the timeout\.$",
        ):
            await api.sign_in(ADA)
    server.release()


async def test_a_body_that_is_not_json_is_a_protocol_error(
    server: AuthServer, api: HttpAuthApi
) -> None:
    server.fail_next(200, body=b"<html>hello</html>")

    with pytest.raises(
        AuthProtocolError,
        match=r"^POST /api/session answered 200 with a body that is not JSON\."
        rf" Check that {server.url} speaks the impact_rx auth contract\.$",
    ):
        await api.sign_in(ADA)


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ([], "a JSON object"),
        ({"user": "ada"}, "a 'user' object"),
        ({"user": {"id": 1, "name": "Ada"}}, "a user 'id' and 'name' as strings"),
        ({"user": {"id": "1", "name": "Ada"}}, "an 'access_token' string"),
        (
            {
                "user": {"id": "1", "name": "Ada"},
                "access_token": "t",
                "expires_in": "soon",
            },
            "'expires_in' as a number of seconds",
        ),
    ],
)
async def test_json_of_the_wrong_shape_is_a_protocol_error_naming_the_field(
    server: AuthServer, api: HttpAuthApi, body: object, missing: str
) -> None:
    server.fail_next(200, body=repr(body).replace("'", '"').encode())

    with pytest.raises(
        AuthProtocolError, match=rf"^POST /api/session answered without {missing}\."
    ):
        await api.sign_in(ADA)


async def test_an_unexpected_status_is_a_protocol_error(
    server: AuthServer, api: HttpAuthApi
) -> None:
    server.fail_next(404, body={"error": "not_found", "reason": "No such thing."})

    with pytest.raises(
        AuthProtocolError,
        match=r"^POST /api/session answered 404 Not Found: No such thing\."
        rf" Check that {server.url} speaks",
    ):
        await api.sign_in(ADA)


async def test_no_token_or_password_shows_in_reprs_messages_or_logs(
    server: AuthServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    secrets: list[str] = [PASSWORD]

    async with HttpAuthApi(server.url) as api:
        session = await api.sign_in(ADA)
        seen += [repr(api), repr(session), str(session), repr(api.store)]
        clock.now += 61
        restored = await api.authenticate()
        assert restored is not None
        seen.append(repr(restored))
        stored = api.store.load()
        assert stored is not None
        for tokens in (session.tokens, restored.tokens, stored):
            assert tokens.refresh_token is not None
            secrets += [tokens.access_token.reveal(), tokens.refresh_token.reveal()]
        with pytest.raises(AuthRejectedError, match="Wrong username") as wrong:
            await api.sign_in(Credentials("ada", "hunter2"))
        async with HttpAuthApi(server.url) as copy:
            with pytest.raises(AuthRejectedError, match="already used") as reused:
                await copy.refresh(session.tokens.refresh_token or Secret(""))
        seen += [str(wrong.value), str(reused.value)]
        await api.sign_out()

    seen += [r.getMessage() for r in caplog.records]
    text = "\n".join(seen)
    assert "hunter2" not in text
    assert [s for s in secrets if s in text] == []


async def test_ten_concurrent_refreshes_with_one_token_send_one_request(
    server: AuthServer, api: HttpAuthApi
) -> None:
    session = await api.sign_in(ADA)
    assert session.tokens.refresh_token is not None

    answers = await asyncio.gather(
        *(api.refresh(session.tokens.refresh_token) for _ in range(10))
    )

    assert len(set(map(id, answers))) == 1
    assert [r.path for r in server.requests].count("/api/session/refresh") == 1
    assert await api.current_user() == session.user


async def test_a_just_exchanged_refresh_token_answers_its_tokens_without_revoking(
    server: AuthServer, api: HttpAuthApi
) -> None:
    session = await api.sign_in(ADA)
    old = session.tokens.refresh_token
    assert old is not None
    new = await api.refresh(old)

    await api.authenticate()  # the stored tokens now count down from here
    again = await api.refresh(old)

    assert again == api.store.load()
    assert again.refresh_token == new.refresh_token
    assert [r.path for r in server.requests].count("/api/session/refresh") == 1
    assert await api.current_user() == session.user


async def test_a_failed_exchange_is_not_remembered(
    server: AuthServer, api: HttpAuthApi
) -> None:
    session = await api.sign_in(ADA)
    old = session.tokens.refresh_token
    assert old is not None
    server.fail_next(503)

    with pytest.raises(AuthUnavailableError, match="failed with 503"):
        await api.refresh(old)
    new = await api.refresh(old)

    assert new.refresh_token != old
    assert [r.status for r in server.requests] == [200, 503, 200]


def test_one_api_serves_one_event_loop_after_another(server: AuthServer) -> None:
    api = HttpAuthApi(server.url)

    signed_in = asyncio.run(api.sign_in(ADA))
    current = asyncio.run(api.current_user())
    asyncio.run(api.aclose())

    assert current == signed_in.user


@pytest.mark.parametrize("expires_in", [b"NaN", b"Infinity", b"-Infinity", b"-5"])
async def test_a_lifetime_that_is_not_finite_seconds_is_a_protocol_error(
    server: AuthServer, api: HttpAuthApi, expires_in: bytes
) -> None:
    server.fail_next(
        200,
        body=b'{"user": {"id": "1", "name": "Ada"}, "access_token": "t",'
        b' "expires_in": ' + expires_in + b"}",
    )

    with pytest.raises(
        AuthProtocolError,
        match=r"^POST /api/session answered without 'expires_in' as a number of"
        r" seconds\.",
    ):
        await api.sign_in(ADA)
    assert api.store.load() is None


@pytest.mark.parametrize("token", ["tökén-0f9e8d", "line\r\nbreak-0f9e8d"])
async def test_an_access_token_that_cannot_be_a_header_is_refused_without_showing_it(
    server: AuthServer, api: HttpAuthApi, token: str
) -> None:
    server.fail_next(
        200,
        body={"user": {"id": "1", "name": "Ada"}, "access_token": token},
    )

    with pytest.raises(AuthProtocolError, match="an 'access_token' string") as error:
        await api.sign_in(ADA)
    assert "0f9e8d" not in repr(error.value) + str(error.value)
    assert api.store.load() is None


async def test_a_stored_access_token_that_cannot_be_a_header_is_a_protocol_error(
    server: AuthServer,
) -> None:
    store = MemoryTokenStore(Tokens(Secret("tökén-0f9e8d"), None, 60))
    async with HttpAuthApi(server.url, store=store) as api:
        with pytest.raises(
            AuthProtocolError, match="The stored access token cannot be sent"
        ) as error:
            await api.authenticate()

    assert "0f9e8d" not in repr(error.value) + str(error.value)
    assert error.value.__cause__ is None and error.value.__context__ is None
    assert server.requests == ()


async def test_a_refresh_answered_after_another_user_signed_in_never_replaces_them(
    server: AuthServer, api: HttpAuthApi
) -> None:
    server.add_user("grace", PASSWORD, name="Grace Hopper")
    ada = await api.sign_in(ADA)
    assert ada.tokens.refresh_token is not None

    arrived = server.stall_next()
    late = asyncio.ensure_future(api.refresh(ada.tokens.refresh_token))
    await asyncio.get_running_loop().run_in_executor(None, arrived.wait, 5)
    grace = await api.sign_in(Credentials("grace", PASSWORD))
    server.release()
    with pytest.raises(AuthRejectedError, match="answered after its session ended"):
        await late  # the server renewed Ada's session: it is ended, not stored

    assert api.store.load() == grace.tokens
    assert await api.current_user() == grace.user
    assert [(r.method, r.status) for r in server.requests[-3:]] == [
        ("POST", 200),
        ("DELETE", 204),
        ("GET", 200),
    ]


async def test_a_refresh_answered_after_sign_out_stores_nothing(
    server: AuthServer, api: HttpAuthApi
) -> None:
    ada = await api.sign_in(ADA)
    assert ada.tokens.refresh_token is not None

    server.fail_next(200, body=a_session_answer(server))
    arrived = server.stall_next()
    late = asyncio.ensure_future(api.refresh(ada.tokens.refresh_token))
    await asyncio.get_running_loop().run_in_executor(None, arrived.wait, 5)
    await api.sign_out()
    server.release()
    with pytest.raises(AuthRejectedError, match="answered after its session ended"):
        await late

    assert api.store.load() is None
    assert repr(api).endswith("signed out>")
    assert server.requests[-1] == RequestRecord("DELETE", "/api/session", 401)


async def test_a_sign_in_answered_after_sign_out_is_ended_and_never_stored(
    server: AuthServer, api: HttpAuthApi
) -> None:
    arrived = server.stall_next()
    late = asyncio.ensure_future(api.sign_in(ADA))
    await asyncio.get_running_loop().run_in_executor(None, arrived.wait, 5)
    await api.sign_out()
    server.release()

    with pytest.raises(AuthRejectedError, match="answered after sign_out"):
        await late
    assert api.store.load() is None
    assert [(r.method, r.status) for r in server.requests] == [
        ("POST", 200),
        ("DELETE", 204),
    ]


def a_session_answer(server: AuthServer) -> dict[str, object]:
    """A session answer of the contract, as a server that revokes nothing sends."""
    return {
        "user": {"id": "1", "name": "Ada Lovelace"},
        "access_token": "access-late-0f9e8d",
        "refresh_token": "refresh-late-0f9e8d",
        "token_type": "Bearer",
        "expires_in": 60,
    }


@pytest.mark.parametrize(
    "url",
    ["", "http://", "127.0.0.1:8000", "ftp://127.0.0.1", "http://127.0.0.1:99999"],
)
def test_a_url_that_cannot_reach_any_server_is_refused_at_once(url: str) -> None:
    with pytest.raises(
        ValueError,
        match=r"^HttpAuthApi needs an http:// or https:// URL with a host and a valid"
        r" port, such as http://127\.0\.0\.1:8000\.",
    ):
        HttpAuthApi(url)


def test_a_url_with_a_password_in_it_is_refused_without_showing_it() -> None:
    with pytest.raises(ValueError, match="no user or password in the URL") as error:
        HttpAuthApi("http://ada:hunter2-0f9e8d@127.0.0.1:8000")

    assert "hunter2-0f9e8d" not in str(error.value)


async def test_a_body_that_cannot_be_decoded_is_a_protocol_error() -> None:
    def garbled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, content=b"not gzip at all"
        )

    transport = httpx.MockTransport(garbled)
    async with HttpAuthApi("http://127.0.0.1:8000", transport=transport) as api:
        with pytest.raises(
            AuthProtocolError,
            match=r"^POST /api/session answered a body that could not be decoded"
            r" \(DecodingError\)\.",
        ):
            await api.sign_in(ADA)


async def test_a_server_reason_that_echoes_a_secret_is_withheld(
    server: AuthServer, api: HttpAuthApi
) -> None:
    # Withheld whole, not masked: "No user with ********." would show where
    # the secret stood in a message anyone may know.
    withheld = r"\(its reason is not shown because it contained a secret\)\.$"
    server.fail_next(401, body={"error": "x", "reason": f"No user with {PASSWORD}."})
    with pytest.raises(AuthRejectedError, match=r"refused \(401\): " + withheld):
        await api.sign_in(ADA)

    session = await api.sign_in(ADA)
    refresh = session.tokens.refresh_token
    assert refresh is not None
    server.fail_next(503, body={"error": "x", "reason": f"Slow on {refresh.reveal()}"})
    with pytest.raises(AuthUnavailableError, match=r"Unavailable: \(its reason") as e:
        await api.refresh(refresh)
    assert refresh.reveal() not in str(e.value)


@pytest.mark.parametrize("password", ["or", "rd", "W"])
async def test_a_short_password_in_the_servers_words_leaves_its_reason_as_it_was(
    password: str, api: HttpAuthApi
) -> None:
    # Masked, "Wrong username ******** password." would reveal the password
    # "or" to anyone who knows the server's message (see impact_rx.session
    # ._scrub: a short secret counts only as a quoted token).
    with pytest.raises(
        AuthRejectedError,
        match=r"^POST /api/session was refused \(401\): Wrong username or password\.$",
    ):
        await api.sign_in(Credentials("ada", password))


def test_without_httpx_the_http_client_says_to_install_the_http_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "impact_rx.session.http")

    with pytest.raises(
        ImportError,
        match=r"^impact_rx\.session\.http needs httpx, which the core install"
        r" leaves out\. Install the http extra: pip install 'impact_rx\[http\]'\.$",
    ) as caught:
        importlib.import_module("impact_rx.session.http")

    assert isinstance(caught.value.__cause__, ModuleNotFoundError)
    assert caught.value.name == "httpx"


@pytest.mark.parametrize("echoed", ["correct\nhorse staple", "correct  horse\tstaple"])
async def test_a_reason_echoing_a_passphrase_with_other_spacing_is_withheld(
    echoed: str,
) -> None:
    # The reason is shown with its whitespace collapsed: checked before that,
    # "correct\nhorse staple" did not hold the passphrase, then read as it.
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"reason": f"No user with {echoed}."})

    transport = httpx.MockTransport(refuse)
    async with HttpAuthApi("http://127.0.0.1:8000", transport=transport) as api:
        with pytest.raises(AuthRejectedError) as error:
            await api.sign_in(Credentials("ada", "correct horse staple"))

    assert str(error.value) == (
        "POST /api/session was refused (401): (its reason is not shown because"
        " it contained a secret)."
    )
