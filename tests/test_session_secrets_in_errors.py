"""An AuthApi that puts a secret into its error never gets it into a log or state.

Every secret the session knows at that moment (its tokens, current and
previous, the refresh token it sent, the password of the sign-in in flight)
is kept out of what it says about an AuthApi's exception. A ``SessionError``
or an event withholds an error text that holds one, whole: masking it inside
a known message would show where it stood, and so what it is. A log masks it
in place (an operator needs the rest of the traceback). A secret shorter than
4 characters counts only where it stands as a quoted token (or is the whole
text): as a mere word it is as likely chance, and showing the text unmasked
reveals nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from session_fakes import ADA, FakeApi, open_session

from impact_rx.session import (
    AuthRejectedError,
    AuthSession,
    AuthUnavailableError,
    Credentials,
    Secret,
    SessionError,
    SessionEvent,
    SessionService,
    Tokens,
)
from impact_rx.testing import marbles

PASSWORD = "correct\\horse 'staple'"  # a backslash and quotes: repr escapes them
ACCESS = "access-7f3a9c1e"
REFRESH = "refresh-b42d8e06"
TOKENS = Tokens(Secret(ACCESS), Secret(REFRESH), 60)
SECRETS = (PASSWORD, ACCESS, REFRESH)


def shown(
    caplog: pytest.LogCaptureFixture,
    session: SessionService,
    events: list[SessionEvent],
) -> list[str]:
    """Every text the session let out: log records, the state, the events."""
    texts = [repr(session.state), repr(events), str(session)]
    for record in caplog.records:
        texts += [record.getMessage(), logging.Formatter().format(record)]
        texts.append(record.exc_text or "")
    return texts


def assert_no_secret(texts: list[str], *secrets: str) -> None:
    for text in texts:
        for secret in secrets or SECRETS:
            assert secret not in text, f"{secret!r} shown in {text!r}"
            assert repr(secret)[1:-1] not in text, f"{secret!r} shown in {text!r}"


def signed_in_session(m: Any, api: FakeApi) -> SessionService:
    session = open_session(m, api)
    api.answers["sign_in"] = AuthSession(ADA, TOKENS)
    session.sign_in(Credentials("ada", PASSWORD))
    assert session.user == ADA
    return session


def refresh_token_in_key_error(refresh_token: Secret[str]) -> None:
    raise KeyError(refresh_token.reveal())  # a lookup of the token, by mistake


def password_in_runtime_error(credentials: Credentials) -> None:
    raise RuntimeError(f"bad password {credentials.password.reveal()}")


def password_in_type_error(credentials: Credentials) -> None:
    raise TypeError(f"cannot encode {credentials.password.reveal()!r}")


@pytest.mark.parametrize(
    ("raise_", "level"),
    [(password_in_runtime_error, None), (password_in_type_error, logging.ERROR)],
    ids=["ordinary", "bug"],
)
def test_a_sign_in_error_naming_the_password_is_withheld_and_logged_masked(
    raise_: Any, level: int | None, caplog: pytest.LogCaptureFixture
) -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=raise_))
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            attempt = session.sign_in(Credentials("ada", PASSWORD))

    assert "staple" in str(attempt.reason)  # the API's own error, untouched
    state = session.state
    assert isinstance(state, SessionError)
    assert [e.type for e in events] == ["SIGN_IN_FAILED"]
    assert events[0].error == state.error
    if level is None:
        assert state.error == (
            "AuthApi.sign_in() of FakeApi raised RuntimeError; its message is"
            " not shown because it contained a secret."
        )
        assert caplog.records == []
    else:
        assert state.error.startswith("AuthApi.sign_in() of FakeApi raised TypeError")
        [record] = caplog.records
        assert record.levelno == level
        assert 'TypeError: cannot encode "********"' in record.getMessage()
    assert_no_secret(shown(caplog, session, events))


def test_a_sign_in_error_naming_the_tokens_it_replaces_is_withheld(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        api = FakeApi()
        session = signed_in_session(m, api)
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)
        api.answers["sign_in"] = RuntimeError(f"{ACCESS} is still active")
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            session.sign_in(Credentials("ada", "another password"))

    assert session.state == SessionError(
        "AuthApi.sign_in() of FakeApi raised RuntimeError; its message is not"
        " shown because it contained a secret."
    )
    assert [e.error for e in events if e.type == "SIGN_IN_FAILED"] == [
        session.state.error
    ]
    assert_no_secret(shown(caplog, session, events), *SECRETS, "another password")


def test_a_refresh_bug_naming_the_refresh_token_is_logged_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        api = FakeApi(refresh=refresh_token_in_key_error)
        session = signed_in_session(m, api)
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            refreshed = session.refresh()

    assert isinstance(refreshed.reason, KeyError)
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is None  # a handler would format the raw exception
    message = record.getMessage()
    assert message.startswith("AuthApi.refresh() of FakeApi raised KeyError")
    assert "KeyError: '********'" in message
    assert "in refresh_token_in_key_error" in message  # the API's frame
    assert_no_secret(shown(caplog, session, []))


def test_a_refresh_failure_naming_the_tokens_is_logged_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        api = FakeApi(refresh=ConnectionError(f"POST /token {REFRESH} ({ACCESS})"))
        session = signed_in_session(m, api)
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            session.refresh()

    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith(
        "Token refresh failed (ConnectionError: POST /token ******** (********));"
    )
    assert_no_secret(shown(caplog, session, []))


def test_a_refresh_error_caused_by_one_naming_a_token_is_logged_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def chained(refresh_token: Secret[str]) -> None:
        try:
            raise LookupError(f"no session for {ACCESS}")
        except LookupError as error:
            raise AttributeError("client is gone") from error

    with marbles() as m:
        session = signed_in_session(m, FakeApi(refresh=chained))
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            session.refresh()

    [record] = caplog.records
    assert "LookupError: no session for ********" in record.getMessage()
    assert "AttributeError: client is gone" in record.getMessage()
    assert_no_secret(shown(caplog, session, []))


def test_a_sign_out_bug_naming_the_tokens_of_the_ended_session_is_logged_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        api = FakeApi(sign_out=AttributeError(f"no client for {ACCESS}/{REFRESH}"))
        session = signed_in_session(m, api)
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            told = session.sign_out()

    assert isinstance(told.reason, AttributeError)
    [record] = caplog.records
    assert "AttributeError: no client for ********/********" in record.getMessage()
    assert_no_secret(shown(caplog, session, []))


def test_a_sign_out_during_a_sign_in_masks_the_password_in_flight(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        api = FakeApi(
            sign_in=m.cold("50ms (a|)", {"a": ADA}),
            sign_out=NameError(f"password {PASSWORD} is still cached"),
        )
        session = open_session(m, api)
        session.sign_in(Credentials("ada", PASSWORD))
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            session.sign_out()

    [record] = caplog.records
    assert "NameError: password ******** is still cached" in record.getMessage()
    assert_no_secret(shown(caplog, session, []))


@pytest.mark.parametrize(
    "password",
    ["in", "ada", "a", "5"],
)
def test_a_short_password_in_ordinary_words_leaves_the_message_as_it_was(
    password: str,
) -> None:
    # Masked, "try again ******** 5 minutes" would tell anyone who knows the
    # server's message that the password is "in"; withheld every time, a
    # 1-character password would hide nearly every message. Unmasked, the
    # words say nothing about which of them, if any, is the password.
    message = "Sign-in for ada failed: wrong password, try again in 5 minutes."
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=RuntimeError(message)))
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)
        session.sign_in(Credentials("ada", password))

    assert session.state == SessionError(message)
    assert [e.error for e in events] == [message]


@pytest.mark.parametrize(
    "text",
    ["cannot encode 'in'", 'no user for password "in"', "in"],
    ids=["quoted", "double-quoted", "whole"],
)
def test_a_short_password_standing_as_a_quoted_token_is_withheld(text: str) -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=RuntimeError(text)))
        session.sign_in(Credentials("ada", "in"))

    assert session.state == SessionError(
        "AuthApi.sign_in() of FakeApi raised RuntimeError; its message is not"
        " shown because it contained a secret."
    )


def test_a_logged_traceback_masks_a_short_password_only_as_a_quoted_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The log masks in place, by the same rule: "again ******** 5" would
    # reveal the password by the pattern of a known message.
    error = TypeError("try again in 5 minutes; cannot encode 'in'")
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=error))
        with caplog.at_level(logging.DEBUG, logger="impact_rx.session"):
            session.sign_in(Credentials("ada", "in"))

    [record] = caplog.records
    assert (
        "TypeError: try again in 5 minutes; cannot encode '********'"
        in record.getMessage()
    )


class _Unreadable(AuthRejectedError):
    """A refusal whose text cannot be read: its ``__str__`` raises."""

    def __str__(self) -> str:
        raise ValueError("no text")


class _UnreadableOutage(AuthUnavailableError):
    """An outage whose text cannot be read: its ``__str__`` raises."""

    def __str__(self) -> str:
        raise ValueError("no text")


def test_a_sign_in_error_whose_text_cannot_be_read_is_still_a_session_error() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=_Unreadable()))
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)
        attempt = session.sign_in(Credentials("ada", PASSWORD))

    assert isinstance(attempt.reason, _Unreadable)
    assert session.state == SessionError(
        "The server did not accept the request (_Unreadable; its message"
        " could not be read: its __str__ raised ValueError)."
    )
    assert [e.error for e in events] == [session.state.error]


def test_a_refresh_error_whose_text_cannot_be_read_is_logged_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with marbles() as m:
        api = FakeApi()
        session = signed_in_session(m, api)
        api.answers["refresh"] = _UnreadableOutage()
        with caplog.at_level(logging.INFO, logger="impact_rx.session"):
            session.refresh()
        assert session.user == ADA

    [record] = caplog.records
    assert record.getMessage().startswith(
        "Token refresh failed (_UnreadableOutage: The server did not accept the"
        " request (_UnreadableOutage; its message could not be read: its __str__"
        " raised ValueError).); the session stays"
    )


def test_the_suspense_a_failed_call_returns_shows_no_secret_of_its_error() -> None:
    # Its reason stays the API's own error; its repr (a notebook cell's
    # output, a SubscriberError's message) showed the token and password.
    with marbles() as m:
        api = FakeApi(refresh=refresh_token_in_key_error)
        session = signed_in_session(m, api)
        refreshed = session.refresh()
        api.answers["sign_in"] = password_in_runtime_error
        attempt = session.sign_in(Credentials("ada", PASSWORD))

    assert isinstance(refreshed.reason, KeyError)
    assert repr(refreshed) == "Suspense<rejected: KeyError(<redacted>)>"
    assert repr(attempt) == "Suspense<rejected: RuntimeError(<redacted>)>"
    from impact_rx.notebook import html_repr

    cards = [html_repr(refreshed), html_repr(attempt)]
    assert "KeyError(&lt;redacted&gt;)" in cards[0]
    assert_no_secret([repr(refreshed), repr(attempt), *cards])
