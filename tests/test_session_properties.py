"""Random interleavings of sign-in, sign-out and refresh keep the session honest.

Hypothesis draws a script of operations and how the server answers each
(after how many frames, success or which failure); the script runs on
virtual time and every event and state is checked against what was asked.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from impact_rx import signal_of
from impact_rx.session import (
    USER,
    AuthApi,
    Authenticated,
    AuthRejectedError,
    AuthSession,
    AuthUnavailableError,
    Credentials,
    Secret,
    SessionEvent,
    SessionService,
    SignedOut,
    Tokens,
    User,
)
from impact_rx.testing import marbles

USERS = {"ada": User("1", "Ada"), "grace": User("2", "Grace")}
FAILURES = {
    "unavailable": AuthUnavailableError("down"),
    "rejected": AuthRejectedError("no"),
}

answers = st.tuples(
    st.integers(min_value=0, max_value=15),
    st.sampled_from(["ok", "ok", "ok", "unavailable", "rejected"]),
)
operations = st.one_of(
    st.tuples(st.just("sign_in"), st.sampled_from(sorted(USERS)), answers),
    st.tuples(st.just("sign_out"), st.none(), answers),
    st.tuples(st.just("refresh"), st.none(), answers),
    st.tuples(st.just("wait"), st.integers(min_value=0, max_value=20), answers),
)


class ScriptedApi:
    """Answers the next request as the script says."""

    def __init__(self, m: Any) -> None:
        self.m = m
        self.next: tuple[int, str] = (0, "ok")
        self.started: list[str] = []
        self.issued = 0

    def _answer(self, value: Any) -> Any:
        frames, outcome = self.next
        if outcome == "ok":
            return self.m.cold(f"{frames}ms (a|)", {"a": value})
        return self.m.cold(f"{frames}ms #", error=FAILURES[outcome])

    def _tokens(self) -> Tokens:
        self.issued += 1
        n = self.issued
        return Tokens(Secret(f"a{n}"), Secret(f"r{n}"), expires_in=0.05)

    def authenticate(self) -> Any:
        return None

    def sign_in(self, credentials: Credentials) -> Any:
        self.started.append(credentials.username)
        return self._answer(AuthSession(USERS[credentials.username], self._tokens()))

    def sign_out(self) -> Any:
        return self._answer(None)

    def refresh(self, refresh_token: Secret[str]) -> Any:
        return self._answer(self._tokens())


@settings(max_examples=250, deadline=None)
@given(st.lists(operations, max_size=12))
def test_no_interleaving_resurrects_a_session_or_breaks_state(
    script: list[tuple[str, Any, tuple[int, str]]],
) -> None:
    timeline: list[tuple[str, Any]] = []
    with marbles() as m:
        api = ScriptedApi(m)
        session = m.provider([SessionService], {USER: None, AuthApi: api}).get(
            SessionService
        )

        def on_state(state: object) -> None:
            if state == SignedOut():
                assert session.user is None
            if session.user is not None:
                assert state != SignedOut()

        def on_event(event: SessionEvent) -> None:
            timeline.append(("event", event))
            if event.type in ("SIGNED_IN", "TOKEN_REFRESHED"):
                assert session.state == Authenticated()
                assert session.user == event.user

        signal_of(session, "state").subscribe(on_state)
        session.events.subscribe(on_event)

        for kind, argument, answer in script:
            api.next = answer
            if kind == "sign_in":
                before = len(api.started)
                session.sign_in(Credentials(argument, "pw"))
                if len(api.started) > before:
                    timeline.append(("sign_in", USERS[argument]))
            elif kind == "sign_out":
                session.sign_out()
                timeline.append(("sign_out", None))
            elif kind == "refresh":
                session.refresh()
            else:
                m.advance(argument)
        m.advance(200)

    check_timeline(timeline)


def check_timeline(timeline: list[tuple[str, Any]]) -> None:
    """Every SIGNED_IN answers the latest request; nothing follows a sign-out."""
    last_request: tuple[str, Any] | None = None
    signed_in: User | None = None
    for kind, item in timeline:
        if kind != "event":
            last_request = (kind, item)
            if kind == "sign_out":
                signed_in = None
            continue
        event: SessionEvent = item
        if event.type == "SIGNED_IN":
            assert last_request == ("sign_in", event.user)
            signed_in = event.user
        elif event.type == "TOKEN_REFRESHED":
            assert signed_in is not None and event.user == signed_in
        elif event.type == "SIGNED_OUT":
            signed_in = None
        elif event.type == "SIGN_IN_FAILED":
            assert last_request is not None and last_request[0] == "sign_in"
