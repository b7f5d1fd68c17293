"""Issue 2 and 6 read as an outsider would: each sentence attacked once more."""

from __future__ import annotations

from typing import Any

import pytest
import reactivex

from impact_rx import signal_of
from impact_rx.session import (
    USER,
    AuthApi,
    Credentials,
    Secret,
    SessionError,
    SessionEvent,
    SessionService,
    User,
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
