"""Issue 2 and 6 read as an outsider would: each sentence attacked once more."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import reactivex

from impact_rx import signal_of
from impact_rx.session import (
    USER,
    AuthApi,
    Authenticated,
    AuthProtocolError,
    AuthSession,
    Credentials,
    RefreshPolicy,
    Secret,
    SessionError,
    SessionEvent,
    SessionService,
    Tokens,
    User,
    session_provider,
)
from impact_rx.testing import marbles

ADA = User("1", "Ada")
PASSWORD = "correct horse battery staple"


class FakeApi:
    """An AuthApi answering with whatever each test sets, recording requests."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.requests: list[str] = []

    def _answer(self, name: str, *args: Any) -> Any:
        self.requests.append(name)
        answer = self.answers.get(name)
        return answer(*args) if callable(answer) else answer

    def authenticate(self) -> Any:
        return self._answer("authenticate")

    def sign_in(self, credentials: Credentials) -> Any:
        return self._answer("sign_in", credentials)

    def sign_out(self) -> Any:
        return self._answer("sign_out")

    def refresh(self, refresh_token: Secret[str]) -> Any:
        return self._answer("refresh", refresh_token)


def open_session(m: Any, api: Any, user: Any = None) -> SessionService:
    provider = m.provider([SessionService], {USER: user, AuthApi: api})
    return provider.get(SessionService)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", ["ada:" + PASSWORD, None, {"username": "ada"}])
def test_sign_in_with_something_other_than_credentials_is_a_readable_session_error(
    bad: Any,
) -> None:
    with marbles() as m:
        api = FakeApi(sign_in=reactivex.of(ADA))
        session = open_session(m, api)
        states: list[object] = []
        signal_of(session, "state").subscribe(states.append)
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)

        attempt = session.sign_in(bad)

    assert api.requests == []
    assert [type(s).__name__ for s in states] == [
        "Authenticated",
        "SigningIn",
        "SessionError",
    ]
    assert isinstance(session.state, SessionError)
    assert session.state.error.startswith("SessionService.sign_in() needs Credentials")
    assert PASSWORD not in session.state.error
    assert [e.type for e in events] == ["SIGN_IN_FAILED"]
    with pytest.raises(TypeError, match=r"needs Credentials\(username, password\)"):
        attempt.use()


@pytest.mark.parametrize("lifetime", [float("nan"), "60", True])
def test_tokens_with_a_lifetime_that_is_not_a_number_fail_the_sign_in_readably(
    lifetime: Any,
) -> None:
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), lifetime)
        api = FakeApi(sign_in=reactivex.of(AuthSession(ADA, tokens)))
        session = open_session(m, api)
        attempt = session.sign_in(Credentials("ada", PASSWORD))

    assert session.state == SessionError(
        "AuthApi.sign_in() answered tokens whose expires_in is not a number"
        " of seconds. Answer a number, or None for tokens that do not expire."
    )
    with pytest.raises(AuthProtocolError, match="expires_in is not a number"):
        attempt.use()


@pytest.mark.parametrize("lifetime", [float("inf"), 1e300, -5.0])
def test_tokens_that_never_expire_or_expired_already_never_crash_the_session(
    lifetime: float,
) -> None:
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), lifetime)
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 3600)
        api = FakeApi(
            sign_in=reactivex.of(AuthSession(ADA, tokens)), refresh=reactivex.of(fresh)
        )
        session = open_session(m, api)
        attempt = session.sign_in(Credentials("ada", PASSWORD))
        m.advance("10s")

    assert attempt.value == ADA
    assert session.state == Authenticated()
    assert api.requests.count("refresh") == (1 if lifetime < 0 else 0)


def test_a_restore_with_a_lifetime_that_is_not_a_number_is_a_protocol_error() -> None:
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), float("nan"))
        api = FakeApi(authenticate=reactivex.of(AuthSession(ADA, tokens)))
        opening = session_provider(api, scheduler=m.scheduler)

    with pytest.raises(AuthProtocolError, match=r"authenticate\(\) answered tokens"):
        opening.use()


def test_a_refresh_answering_expired_tokens_retries_with_backoff_instead_of_looping(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="impact_rx.session")
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), 60)
        expired = Tokens(Secret("access-2"), Secret("refresh-2"), 0)
        api = FakeApi(
            sign_in=reactivex.of(AuthSession(ADA, tokens)),
            refresh=lambda _token: reactivex.of(expired),
        )
        policy = RefreshPolicy(lead=30, first_retry=1, max_retry=8, jitter=0)
        provider = m.provider(
            [SessionService], {USER: None, AuthApi: api, RefreshPolicy: policy}
        )
        session = provider.get(SessionService)
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)
        session.sign_in(Credentials("ada", PASSWORD))
        m.advance("30s")  # the first refresh, at 30 s, answers expired tokens
        assert api.requests.count("refresh") == 1
        m.advance("15s")  # retries 1, 2, 4 and 8 s later: at 31, 33, 37 and 45 s

    assert api.requests.count("refresh") == 5
    assert session.state == Authenticated()
    assert [e.type for e in events] == ["SIGNED_IN"]
    assert "answered tokens that have already expired" in caplog.text
