"""The one redaction rule of reprs, traces and notebook cards."""

from __future__ import annotations

import pytest

from impact_rx._redact import looks_secret

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
