"""What the session tests share: a scripted ``AuthApi`` and a session on it."""

from __future__ import annotations

from typing import Any

from impact_rx.session import (
    USER,
    AuthApi,
    Credentials,
    Secret,
    SessionService,
    User,
)

ADA = User("1", "Ada")
PASSWORD = "correct horse battery staple"


class FakeApi:
    """An ``AuthApi`` whose answers each test sets; it records what was asked.

    Each keyword names a method; its answer is returned as it is, raised
    when it is an exception, called with the method's arguments when it is
    callable, or, for a list, taken one element per call.
    """

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.requests: list[str] = []

    def _answer(self, name: str, *args: Any) -> Any:
        self.requests.append(name)
        answer = self.answers.get(name)
        if isinstance(answer, list):
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer(*args) if callable(answer) else answer

    def authenticate(self) -> Any:
        return self._answer("authenticate")

    def sign_in(self, credentials: Credentials) -> Any:
        return self._answer("sign_in", credentials)

    def sign_out(self) -> Any:
        return self._answer("sign_out")

    def refresh(self, refresh_token: Secret[str]) -> Any:
        return self._answer("refresh", refresh_token)


def open_session(
    m: Any, api: Any, user: Any = None, values: dict[Any, Any] | None = None
) -> SessionService:
    """The ``SessionService`` of a marble provider holding ``api`` and ``user``."""
    provider = m.provider(
        [SessionService], {USER: user, AuthApi: api, **(values or {})}
    )
    return provider.get(SessionService)  # type: ignore[no-any-return]
