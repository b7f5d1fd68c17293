"""An AuthApi with a bug says so: never a refused password, never swallowed."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import reactivex
from session_fakes import ADA, FakeApi, open_session

from impact_rx import ServiceProvider
from impact_rx.session import (
    USER,
    AuthApi,
    Authenticated,
    AuthenticatorService,
    AuthRejectedError,
    AuthSession,
    Credentials,
    Secret,
    SessionError,
    SessionEvent,
    SessionService,
    SignedOut,
    Tokens,
)
from impact_rx.testing import marbles

BUG = (
    r"AuthApi.sign_in\(\) of {api} raised TypeError, which is not an AuthError:"
    r" a bug in the AuthApi, not a refusal by the server\."
)


class ForgotTheParameter:
    def authenticate(self) -> None:
        return None

    def sign_in(self) -> None:  # the credentials parameter is missing
        return None

    def sign_out(self) -> None:
        return None


def test_an_api_raising_a_type_error_ends_in_an_error_state_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        session = open_session(m, ForgotTheParameter())
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)
        with caplog.at_level(logging.ERROR, logger="impact_rx.session"):
            attempt = session.sign_in(Credentials("ada", "pw"))

    assert isinstance(attempt.reason, TypeError)
    assert "positional argument" in str(attempt.reason)  # the original, unchanged
    state = session.state
    assert isinstance(state, SessionError)
    assert re.match(BUG.format(api="ForgotTheParameter"), state.error)
    assert "positional argument" not in state.error  # a bug, not a message for people
    assert [e.type for e in events] == ["SIGN_IN_FAILED"]
    assert events[0].error == state.error
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith(
        "AuthApi.sign_in() of ForgotTheParameter raised TypeError"
    )
    # The traceback is in the message, scrubbed of secrets; never exc_info,
    # which a handler would format from the raw exception.
    assert record.exc_info is None
    trace = record.getMessage().split("\n", 1)[1]
    assert trace.startswith("Traceback (most recent call last):")
    assert f"TypeError: {attempt.reason}" in trace
    assert "self._api.sign_in(checked)" in trace  # the frame that called the API


def test_a_refused_password_stays_a_plain_message_and_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        api = FakeApi(sign_in=AuthRejectedError("Wrong username or password."))
        session = open_session(m, api)
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            session.sign_in(Credentials("ada", "pw"))

    assert session.state == SessionError("Wrong username or password.")
    assert caplog.records == []


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ({"id": "1", "name": "Ada"}, "a dict"),
        ("ada", "a str"),
        (
            AuthSession(
                {"id": "1"},
            ),
            "an AuthSession whose user is a dict",
        ),  # type: ignore[arg-type]
    ],
    ids=["dict", "str", "session-of-dict"],
)
def test_a_sign_in_answer_of_the_wrong_type_is_refused_naming_the_method(
    answer: Any, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=reactivex.of(answer)))
        with caplog.at_level(logging.ERROR, logger="impact_rx.session"):
            attempt = session.sign_in(Credentials("ada", "pw"))

    with pytest.raises(
        TypeError,
        match=(
            rf"AuthApi.sign_in\(\) of FakeApi answered {kind}; it must answer an"
            r" AuthSession or a User \(impact_rx.session\)\."
        ),
    ):
        attempt.use()
    assert session.user is None
    assert isinstance(session.state, SessionError)
    assert len(caplog.records) == 1


def test_an_authenticate_answer_of_the_wrong_type_rejects_the_restore() -> None:
    with marbles() as m:
        api = FakeApi(authenticate=reactivex.of({"id": "1"}))
        provider = m.provider([AuthenticatorService], {AuthApi: api})
        restore = provider.get(AuthenticatorService).authenticate()

    with pytest.raises(
        TypeError,
        match=(
            r"AuthApi.authenticate\(\) of FakeApi answered a dict; it must answer"
            r" an AuthSession, a User \(impact_rx.session\) or None\."
        ),
    ):
        restore.use()


def test_a_sign_out_that_raises_a_bug_is_logged_though_the_session_ended(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_out=AttributeError("no client")), ADA)
        with caplog.at_level(logging.ERROR, logger="impact_rx.session"):
            told = session.sign_out()

    assert session.state == SignedOut()
    assert isinstance(told.reason, AttributeError)
    [record] = caplog.records
    message = record.getMessage()
    assert message.startswith(
        "AuthApi.sign_out() of FakeApi raised AttributeError, which is not an AuthError"
    )
    assert record.exc_info is None
    assert message.endswith("\nAttributeError: no client")
    assert 'session_fakes.py", line' in message  # the AuthApi's own frame
    assert "in _answer\n    raise answer" in message


def test_a_named_value_of_another_type_than_declared_is_refused() -> None:
    with (
        pytest.raises(
            TypeError,
            match=(
                r"Value\('USER'\) is a str, but SessionService.__init__ declares"
                r" its parameter 'user' as User \| None\. Provide a value of that type"
            ),
        ),
        ServiceProvider([SessionService], {USER: "ada", AuthApi: FakeApi()}) as app,
    ):
        app.get(SessionService)


def test_a_refresh_answering_a_session_whose_user_is_a_dict_is_a_bug_not_a_revocation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Checked as sign_in's answer is: a dict is not another user, so the
    # session is not ended as revoked; it stays, and the bug is logged.
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), 60)
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 60)
        api = FakeApi(
            sign_in=AuthSession(ADA, tokens),
            refresh=m.cold("a|", {"a": AuthSession({"id": "1"}, fresh)}),  # type: ignore[arg-type]
        )
        session = open_session(m, api)
        session.sign_in(Credentials("ada", "pw"))
        with caplog.at_level(logging.ERROR, logger="impact_rx.session"):
            refreshed = session.refresh()

    with pytest.raises(
        TypeError,
        match=(
            r"^AuthApi.refresh\(\) of FakeApi answered an AuthSession whose user is"
            r" a dict; it must answer Tokens or an AuthSession with a User"
            r" \(impact_rx.session\)\."
        ),
    ):
        refreshed.use()
    assert session.state == Authenticated()
    assert session.user == ADA
    [record] = caplog.records
    assert record.getMessage().startswith(
        "AuthApi.refresh() of FakeApi raised TypeError"
    )


class UnknownUserError(AuthRejectedError, KeyError):
    """An application's refusal that is also a KeyError, for its own callers."""


def test_an_auth_error_that_is_also_a_lookup_error_stays_a_refusal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        api = FakeApi(sign_in=UnknownUserError("No such account."))
        session = open_session(m, api)
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            attempt = session.sign_in(Credentials("ada", "pw"))

    assert isinstance(attempt.reason, UnknownUserError)
    assert session.state == SessionError("'No such account.'")
    assert caplog.records == []
