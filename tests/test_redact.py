"""The one redaction rule of reprs, traces and notebook cards."""

from __future__ import annotations

import logging
from types import MappingProxyType

import pytest

from impact_rx import Signal
from impact_rx._redact import looks_secret, shown_value
from impact_rx.debug import trace
from impact_rx.notebook import html_repr

SECRET_NAMES = [
    "password",
    "user_password",
    "userPassword",
    "passwd",
    "passphrase",
    "pwd",
    "db_pwd",
    "token",
    "access_token",
    "accessToken",
    "refresh_tokens",
    "csrftoken",
    "XAuthToken",
    "secret",
    "clientSecret",
    "api_key",
    "apiKey",
    "APIKey",
    "MY_API_KEY",
    "private_key",
    "credentials",
    "authorization",
    "Authorization",
    "cookie",
    "session_cookies",
    "set-cookie",
    "jwt",
    "id_jwt",
    "bearer",
    "otp",
    "otp_code",
    "session_id",
    "sessionid",
    "sessionId",
    "SessionID",
    "SESSION_ID",
    "Auth.access_token",
    "Store.session_id",
]

PLAIN_NAMES = [
    "count",
    "slot",
    "hotpot",
    "footprint",
    "monkey",
    "keyboard",
    "key",
    "tokenizer",
    "author",
    "authorized",
    "passport",
    "bypass",
    "session",
    "session_state",
    "SessionService.id",
    "Counter.count",
    "",
    None,
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_names_whose_word_parts_look_secret_are_redacted(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_names_that_only_contain_a_secret_word_by_chance_are_shown(
    name: str | None,
) -> None:
    assert not looks_secret(name)


def test_a_mapping_shows_the_values_under_secret_looking_keys_redacted() -> None:
    shown = shown_value("data", {"token": "LEAK1", "n": 1}, limit=80)

    assert shown == "{'token': <redacted>, 'n': 1}"


def test_a_mapping_that_is_no_dict_keeps_its_type_name_when_redacted() -> None:
    shown = shown_value("data", MappingProxyType({"pwd": "LEAK1"}), limit=80)

    assert shown == "mappingproxy({'pwd': <redacted>})"


def test_a_signal_holding_a_mapping_hides_its_secret_values_in_every_view(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="impact_rx.debug")
    data: Signal[dict[str, str]] = Signal({}, name="data")

    with trace():
        data.value = {"access_token": "LEAK2", "user": "ada"}

    seen = [caplog.text, repr(data), html_repr(data)]
    assert [view for view in seen if "LEAK2" in view] == []
    assert caplog.records[-1].traced_write.new == (
        "{'access_token': <redacted>, 'user': 'ada'}"
    )
    assert "ada" in html_repr(data)
