"""The races of issue 6, each a marble test on virtual time (1 frame = 1 ms)."""

from __future__ import annotations

from typing import Any

import pytest
import reactivex
from reactivex import operators as ops

from impact_rx import Fulfilled, Pending, signal_of
from impact_rx.session import (
    USER,
    AuthApi,
    Authenticated,
    AuthenticatorService,
    AuthRejectedError,
    AuthSession,
    AuthUnavailableError,
    Credentials,
    RefreshPolicy,
    Secret,
    SessionEvent,
    SessionService,
    SignedOut,
    SigningIn,
    Tokens,
    User,
    session_provider,
)
from impact_rx.testing import marbles

ADA = User("1", "Ada")
GRACE = User("2", "Grace")
TOKENS = Tokens(Secret("access-1"), Secret("refresh-1"), expires_in=3600)


class FakeApi:
    """An AuthApi answering with whatever each test sets, counting requests."""

    def __init__(
        self,
        *,
        authenticate: Any = None,
        sign_in: dict[str, Any] | None = None,
        refresh: Any = None,
    ) -> None:
        self.authenticate_answer = authenticate
        self.sign_in_answers = sign_in or {}
        self.refresh_answer = refresh
        self.requests: list[str] = []

    def authenticate(self) -> Any:
        self.requests.append("authenticate")
        return self.authenticate_answer

    def sign_in(self, credentials: Credentials) -> Any:
        self.requests.append(f"sign_in {credentials.username}")
        return self.sign_in_answers[credentials.username]

    def sign_out(self) -> Any:
        self.requests.append("sign_out")
        return reactivex.empty()

    def refresh(self, refresh_token: Secret[str]) -> Any:
        self.requests.append("refresh")
        answer = self.refresh_answer
        return answer(refresh_token) if callable(answer) else answer


def at(m: Any, diagram: str, action: Any) -> None:
    """Run ``action`` at each value of the hot ``diagram``."""
    m.hot(diagram).subscribe(lambda _: action())


def test_a_sign_out_during_a_pending_sign_in_wins() -> None:
    with marbles() as m:
        api = FakeApi(sign_in={"ada": m.cold("50ms (a|)", {"a": ADA})})
        provider = m.provider([SessionService], {USER: None, AuthApi: api})
        session = provider.get(SessionService)

        at(m, "s", lambda: session.sign_in(Credentials("ada", "pw")))
        at(m, "20ms o", lambda: session.sign_out())
        m.expect(signal_of(session, "state")).to_be(
            "(ab) 16ms c",
            {"a": Authenticated(), "b": SigningIn(), "c": SignedOut()},
        )
        m.expect(session.events).to_be(
            "20ms o", {"o": SessionEvent("SIGNED_OUT", reason="user")}
        )
        m.advance("100ms")

    assert session.user is None
    assert api.requests == ["sign_in ada", "sign_out"]


@pytest.mark.parametrize(
    "late_answer",
    [
        "(a|)",
        "#",
    ],
    ids=["late success", "late failure"],
)
@pytest.mark.parametrize(
    "failure", [AuthUnavailableError("down"), AuthRejectedError("spent")]
)
def test_a_late_refresh_never_touches_the_next_users_session(
    late_answer: str, failure: Exception
) -> None:
    with marbles() as m:
        renewed = Tokens(Secret("access-2"), Secret("refresh-2"), expires_in=3600)
        refresh = m.cold(f"40ms {late_answer}", {"a": renewed}, error=failure)
        api = FakeApi(
            sign_in={
                "ada": m.cold("(a|)", {"a": AuthSession(ADA, TOKENS)}),
                "grace": m.cold("5ms (a|)", {"a": AuthSession(GRACE, TOKENS)}),
            },
            refresh=refresh,
        )
        session = m.provider([SessionService], {USER: None, AuthApi: api}).get(
            SessionService
        )

        at(m, "i", lambda: session.sign_in(Credentials("ada", "pw")))
        at(m, "10ms r", lambda: session.refresh())
        at(m, "20ms o", lambda: session.sign_out())
        at(m, "30ms g", lambda: session.sign_in(Credentials("grace", "pw")))
        m.expect(session.events).to_be(
            "a 19ms b 14ms c",
            {
                "a": SessionEvent("SIGNED_IN", user=ADA),
                "b": SessionEvent("SIGNED_OUT", user=ADA, reason="user"),
                "c": SessionEvent("SIGNED_IN", user=GRACE),
            },
        )
        m.expect(signal_of(session, "user")).to_be(
            "(na) 16ms n 14ms g", {"n": None, "a": ADA, "g": GRACE}
        )
        m.advance("60ms")  # the late answer came and went at 50
        assert (session.state, session.user) == (Authenticated(), GRACE)

    assert api.requests.count("refresh") == 1


def test_two_refresh_triggers_in_one_frame_send_one_request() -> None:
    with marbles() as m:
        server_refresh = "refresh-1"
        issued = iter(range(2, 100))

        def rotate(token: Secret[str]) -> Any:
            nonlocal server_refresh
            if token.reveal() != server_refresh:
                return reactivex.throw(AuthRejectedError("Refresh token reused."))
            n = next(issued)
            server_refresh = f"refresh-{n}"
            fresh = Tokens(Secret(f"access-{n}"), Secret(server_refresh), 3600)
            return m.cold("5ms (a|)", {"a": fresh})

        short = Tokens(Secret("access-1"), Secret("refresh-1"), expires_in=0.02)
        api = FakeApi(sign_in={"ada": m.cold("(a|)", {"a": AuthSession(ADA, short)})})
        api.refresh_answer = rotate
        policy = RefreshPolicy(lead=0.01)  # 20 ms tokens refresh after 10 ms
        provider = m.provider(
            [SessionService], {USER: None, AuthApi: api, RefreshPolicy: policy}
        )
        session = provider.get(SessionService)

        at(m, "i", lambda: session.sign_in(Credentials("ada", "pw")))
        answers: list[Any] = []
        at(m, "10ms (rr)", lambda: answers.append(session.refresh()))
        m.expect(session.events).to_be(
            "a 14ms r",
            {
                "a": SessionEvent("SIGNED_IN", user=ADA),
                "r": SessionEvent("TOKEN_REFRESHED", user=ADA),
            },
        )
        m.advance("30ms")

    assert api.requests.count("refresh") == 1
    assert answers[0] is answers[1]
    assert answers[0].value == Secret("access-2")
    assert session.state == Authenticated()
    assert session.user == ADA


def test_observers_that_unsubscribed_hear_nothing_and_the_live_one_hears_once() -> None:
    with marbles() as m:
        api = FakeApi(sign_in={"ada": m.cold("5ms (a|)", {"a": ADA})})
        session = m.provider([SessionService], {USER: None, AuthApi: api}).get(
            SessionService
        )
        heard_by_gone: list[SessionEvent] = []
        for _ in range(5):
            session.events.subscribe(heard_by_gone.append).dispose()

        m.expect(session.events).to_be(
            "5ms a", {"a": SessionEvent("SIGNED_IN", user=ADA)}
        )
        at(m, "s", lambda: session.sign_in(Credentials("ada", "pw")))
        m.advance("20ms")

    assert heard_by_gone == []


def test_a_slow_restore_stays_pending_and_never_shows_signed_out() -> None:
    with marbles() as m:
        api = FakeApi(authenticate=m.cold("30ms (a|)", {"a": AuthSession(ADA, TOKENS)}))
        authenticator = m.provider([AuthenticatorService], {AuthApi: api}).get(
            AuthenticatorService
        )
        m.expect(authenticator.authenticate()).to_be(
            "p 29ms (f|)", {"p": Pending(), "f": Fulfilled(ADA)}
        )

        opening = session_provider(api, scheduler=m.scheduler)
        states = opening.pipe(
            ops.filter(lambda state: isinstance(state, Fulfilled)),
            ops.flat_map(
                lambda state: signal_of(state.value.get(SessionService), "state")
            ),
        )
        m.expect(states).to_be("30ms a", {"a": Authenticated()})
