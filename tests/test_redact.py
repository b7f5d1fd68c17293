"""The one redaction rule of reprs, traces and notebook cards."""

from __future__ import annotations

import logging
import re
from types import MappingProxyType

import pytest

from impact_rx import Signal
from impact_rx._redact import looks_secret, shown_value
from impact_rx.debug import short_repr, trace
from impact_rx.notebook import html_repr
from impact_rx.session import Secret, Tokens

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


TOKENS = Tokens(Secret("LEAK1"), Secret("LEAK3"), 3600)
WHOLE_MASKS = re.compile(r"Secret\('\*{8}'\)|<redacted>|\*{8}")


def _no_partial_mask(text: str) -> bool:
    rest = WHOLE_MASKS.sub("", text)
    return "*" not in rest and "Secret(" not in rest and "<redact" not in rest


def test_a_shortened_repr_never_cuts_into_a_masked_secret() -> None:
    text = repr(TOKENS)
    shortened = [shown_value("held", TOKENS, limit) for limit in range(4, len(text))]

    assert [s for s in shortened if not _no_partial_mask(s)] == []
    assert shown_value("held", TOKENS) == "Tokens(access_token=..."


def test_a_shortened_mapping_never_cuts_into_a_redacted_value() -> None:
    value = {"name": "ada", "password": "LEAK4", "n": 1}
    shortened = [shown_value("held", value, limit) for limit in range(4, 45)]

    assert [s for s in shortened if not _no_partial_mask(s)] == []
    assert "LEAK4" not in "".join(shortened)


def test_the_trace_shortens_an_object_repr_at_its_end_not_through_a_secret() -> None:
    shown = short_repr(TOKENS)

    assert _no_partial_mask(shown)
    assert shown == "Tokens(access_token=Secret('********'), refresh_token=..."
