"""The embedded auth server keeps the REST contract of ``impact_rx.session.http``."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from impact_rx.demo.server import AuthServer, RequestRecord

PASSWORD = "correct horse battery"


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[AuthServer]:
    with AuthServer(
        access_token_lifetime=60, refresh_token_lifetime=600, clock=clock, scrypt_n=2**8
    ) as server:
        server.add_user("ada", PASSWORD, name="Ada Lovelace")
        yield server


@pytest.fixture
def http(server: AuthServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


def sign_in(http: httpx.Client, password: str = PASSWORD) -> dict[str, Any]:
    answer = http.post("/api/session", json={"username": "ada", "password": password})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_sign_in_answers_the_user_and_fresh_tokens(http: httpx.Client) -> None:
    first, second = sign_in(http), sign_in(http)

    assert first["user"]["name"] == "Ada Lovelace"
    assert first["token_type"] == "Bearer"
    assert first["expires_in"] == 60
    assert len(first["access_token"]) >= 40
    assert first["access_token"] != second["access_token"]
    assert first["refresh_token"] != second["refresh_token"]
    assert first["user"] == second["user"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_401_reason(
    http: httpx.Client,
) -> None:
    wrong = http.post("/api/session", json={"username": "ada", "password": "nope"})
    unknown = http.post("/api/session", json={"username": "bob", "password": "x"})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json() == {
        "error": "invalid_credentials",
        "reason": "Wrong username or password.",
    }


def test_the_current_session_answers_the_user_and_the_time_left(
    http: httpx.Client, clock: FakeClock
) -> None:
    tokens = sign_in(http)
    clock.now += 15

    answer = http.get("/api/session", headers=bearer(tokens["access_token"]))

    assert answer.status_code == 200
    assert answer.json() == {"user": tokens["user"], "expires_in": 45.0}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("not-a-token"),
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
    ids=["missing", "unknown", "wrong-scheme", "blank"],
)
def test_a_missing_or_unknown_bearer_token_is_refused_with_401(
    http: httpx.Client, headers: dict[str, str]
) -> None:
    answer = http.get("/api/session", headers=headers)

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"
    assert "Sign in again" in answer.json()["reason"]


def test_an_access_token_expires_on_the_servers_clock(
    http: httpx.Client, clock: FakeClock
) -> None:
    token = sign_in(http)["access_token"]

    clock.now += 59.9
    assert http.get("/api/session", headers=bearer(token)).status_code == 200
    clock.now += 0.1
    assert http.get("/api/session", headers=bearer(token)).status_code == 401


def test_refresh_rotates_both_tokens_and_retires_the_old_access_token(
    http: httpx.Client, clock: FakeClock
) -> None:
    old = sign_in(http)
    clock.now += 30

    answer = http.post(
        "/api/session/refresh", json={"refresh_token": old["refresh_token"]}
    )

    assert answer.status_code == 200
    new = answer.json()
    assert new["user"] == old["user"]
    assert new["expires_in"] == 60
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert (
        http.get("/api/session", headers=bearer(old["access_token"])).status_code == 401
    )
    assert http.get("/api/session", headers=bearer(new["access_token"])).json() == {
        "user": old["user"],
        "expires_in": 60.0,
    }


def test_a_reused_refresh_token_is_refused_and_revokes_its_session(
    http: httpx.Client,
) -> None:
    old = sign_in(http)
    other = sign_in(http)
    new = http.post(
        "/api/session/refresh", json={"refresh_token": old["refresh_token"]}
    )

    reuse = http.post(
        "/api/session/refresh", json={"refresh_token": old["refresh_token"]}
    )

    assert reuse.status_code == 401
    assert reuse.json()["error"] == "refresh_token_reused"
    assert "already used; the session is revoked" in reuse.json()["reason"]
    rotated = new.json()
    assert (
        http.get("/api/session", headers=bearer(rotated["access_token"])).status_code
        == 401
    )
    again = http.post(
        "/api/session/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert again.status_code == 401
    assert (
        http.get("/api/session", headers=bearer(other["access_token"])).status_code
        == 200
    )


def test_an_expired_or_unknown_refresh_token_is_refused(
    http: httpx.Client, clock: FakeClock
) -> None:
    tokens = sign_in(http)
    clock.now += 600

    expired = http.post(
        "/api/session/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    unknown = http.post("/api/session/refresh", json={"refresh_token": "nope"})

    assert (expired.status_code, expired.json()["error"]) == (401, "invalid_token")
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_token")


def test_sign_out_revokes_the_access_and_the_refresh_token(http: httpx.Client) -> None:
    tokens = sign_in(http)

    answer = http.delete("/api/session", headers=bearer(tokens["access_token"]))

    assert (answer.status_code, answer.content) == (204, b"")
    assert (
        http.get("/api/session", headers=bearer(tokens["access_token"])).status_code
        == 401
    )
    refresh = http.post(
        "/api/session/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    twice = http.delete("/api/session", headers=bearer(tokens["access_token"]))
    assert twice.status_code == 401


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "The request body is not valid JSON."),
        (b"[1, 2]", "The request body must be a JSON object."),
        (b'{"username": "ada"}', "The JSON body needs a string field 'password'."),
        (
            b'{"username": 7, "password": "x"}',
            "The JSON body needs a string field 'username'.",
        ),
    ],
    ids=["not-json", "not-an-object", "missing-field", "wrong-type"],
)
def test_a_malformed_sign_in_gets_400_with_a_reason(
    http: httpx.Client, content: bytes, reason: str
) -> None:
    answer = http.post("/api/session", content=content)

    assert answer.status_code == 400
    assert answer.json() == {"error": "malformed_request", "reason": reason}


def test_an_unknown_path_gets_404_and_a_wrong_method_405(http: httpx.Client) -> None:
    missing = http.get("/api/nothing")
    wrong = http.put("/api/session/refresh", json={})

    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    assert wrong.status_code == 405
    assert wrong.json()["reason"] == "/api/session/refresh accepts POST, not PUT."


def test_fail_next_answers_the_injected_faults_in_order_then_the_contract(
    server: AuthServer, http: httpx.Client
) -> None:
    server.fail_next(503)
    server.fail_next(200, body=b"<html>")

    first = http.post("/api/session", json={})
    second = http.post("/api/session", json={})
    third = http.post("/api/session", json={})

    assert first.status_code == 503
    assert first.json() == {
        "error": "injected_fault",
        "reason": "Service Unavailable (injected).",
    }
    assert (second.status_code, second.content) == (200, b"<html>")
    assert third.status_code == 400


def test_a_stalled_request_waits_for_release_while_others_are_answered(
    server: AuthServer, http: httpx.Client
) -> None:
    server.stall_next()

    with pytest.raises(httpx.TimeoutException, match="timed out"):
        httpx.get(f"{server.url}/api/session", timeout=0.05)
    assert http.get("/api/session").status_code == 401
    server.release()
    assert http.get("/api/session").status_code == 401


def test_the_request_log_names_method_path_and_status_only(
    server: AuthServer, http: httpx.Client
) -> None:
    tokens = sign_in(http)
    http.get("/api/session?debug=1", headers=bearer(tokens["access_token"]))

    assert server.requests == (
        RequestRecord("POST", "/api/session", 200),
        RequestRecord("GET", "/api/session", 200),
    )


def test_no_token_or_password_reaches_a_log_record(
    server: AuthServer, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    tokens = sign_in(http)
    refreshed = http.post(
        "/api/session/refresh", json={"refresh_token": tokens["refresh_token"]}
    ).json()
    http.post("/api/session/refresh", json={"refresh_token": tokens["refresh_token"]})
    http.delete("/api/session", headers=bearer(refreshed["access_token"]))

    assert any(r.name == "impact_rx.demo.server" for r in caplog.records)
    text = "\n".join(r.getMessage() for r in caplog.records)
    secrets = [
        PASSWORD,
        *(t[k] for t in (tokens, refreshed) for k in ("access_token", "refresh_token")),
    ]
    assert not [s for s in secrets if s in text]


def test_the_database_holds_salted_scrypt_hashes_and_no_token_in_clear(
    tmp_path: Path,
) -> None:
    database = tmp_path / "auth.db"
    with AuthServer(database=str(database), scrypt_n=2**8) as server:
        server.add_user("ada", PASSWORD)
        server.add_user("grace", PASSWORD)
        with httpx.Client(base_url=server.url) as http:
            tokens = sign_in(http)

        rows = (
            sqlite3.connect(database).execute("SELECT salt, hash FROM users").fetchall()
        )
        raw = database.read_bytes()

    (salt_a, hash_a), (salt_b, hash_b) = rows
    assert salt_a != salt_b
    assert hash_a != hash_b
    for secret in (PASSWORD, tokens["access_token"], tokens["refresh_token"]):
        assert secret.encode() not in raw


def test_add_user_refuses_a_taken_username(server: AuthServer) -> None:
    with pytest.raises(ValueError, match="already has a user named 'ada'"):
        server.add_user("ada", "other")


def test_the_url_is_only_known_once_started() -> None:
    server = AuthServer()

    with pytest.raises(RuntimeError, match="no URL until it is started"):
        _ = server.url
    with server:
        assert server.url.startswith("http://127.0.0.1:")
        assert repr(server) == f"<AuthServer {server.url}>"


def test_close_releases_a_stalled_request_and_answers_it() -> None:
    answers: list[int] = []
    server = AuthServer(scrypt_n=2**8).start()
    arrived = server.stall_next()
    client = threading.Thread(
        target=lambda: answers.append(
            httpx.get(f"{server.url}/api/session", timeout=5).status_code
        )
    )
    client.start()
    assert arrived.wait(timeout=5)

    server.close()
    client.join()

    assert answers == [401]


def test_a_closed_server_cannot_start_again() -> None:
    server = AuthServer(scrypt_n=2**8)
    with server:
        pass

    with pytest.raises(RuntimeError, match="cannot start again after close"):
        server.start()


def test_a_fault_for_one_method_waits_for_a_request_with_that_method(
    server: AuthServer, http: httpx.Client
) -> None:
    server.fail_next(503, method="DELETE")
    tokens = sign_in(http)

    answer = http.delete("/api/session", headers=bearer(tokens["access_token"]))

    assert answer.status_code == 503
    assert [r.status for r in server.requests] == [200, 503]


def test_a_database_file_keeps_users_and_sessions_across_servers(
    tmp_path: Path,
) -> None:
    database = str(tmp_path / "auth.db")
    with AuthServer(database=database, scrypt_n=2**8) as first:
        first.add_user("ada", PASSWORD, name="Ada Lovelace")
        with httpx.Client(base_url=first.url) as http:
            tokens = sign_in(http)

    with (
        AuthServer(database=database, scrypt_n=2**8) as second,
        httpx.Client(base_url=second.url) as http,
    ):
        current = http.get("/api/session", headers=bearer(tokens["access_token"]))
        again = sign_in(http)
        with pytest.raises(ValueError, match="already has a user named 'ada'"):
            second.add_user("ada", "other")

    assert current.json()["user"] == again["user"] == tokens["user"]


def test_the_server_and_the_demo_package_import_without_httpx() -> None:
    code = (
        "import sys; sys.modules['httpx'] = None;"
        " from impact_rx.demo import AuthServer, main"
    )

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )

    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize(
    ("path", "content", "field"),
    [
        ("/api/session", rb'{"username": "ada", "password": "pw\ud800"}', "password"),
        ("/api/session", rb'{"username": "\udfff", "password": "pw"}', "username"),
        ("/api/session/refresh", rb'{"refresh_token": "\ud800"}', "refresh_token"),
    ],
)
def test_text_that_is_not_valid_unicode_gets_400_and_no_error_log(
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
    path: str,
    content: bytes,
    field: str,
) -> None:
    caplog.set_level(logging.DEBUG, logger="impact_rx.demo.server")

    answer = http.post(path, content=content)

    assert answer.status_code == 400
    assert answer.json() == {
        "error": "malformed_request",
        "reason": f"The JSON field {field!r} is not valid Unicode text.",
    }
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize(
    "username",
    ["ada' OR '1'='1", "ada'; DROP TABLE users; --", '" OR 1=1 --', "ada\x00"],
)
def test_sql_in_a_username_is_only_a_wrong_username(
    server: AuthServer, http: httpx.Client, username: str
) -> None:
    answer = http.post(
        "/api/session", json={"username": username, "password": PASSWORD}
    )

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_credentials"
    assert sign_in(http)["user"]["name"] == "Ada Lovelace"  # the table is intact


def test_concurrent_sign_ins_each_get_their_own_session(server: AuthServer) -> None:
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def sign_in_once() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            answer = client.post(
                "/api/session", json={"username": "ada", "password": PASSWORD}
            )
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=sign_in_once) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.json()["access_token"] for a in answers}) == 8
    assert len({a.json()["refresh_token"] for a in answers}) == 8


def test_a_body_of_another_content_type_is_still_read_as_json_or_refused(
    http: httpx.Client,
) -> None:
    form = http.post("/api/session", data={"username": "ada", "password": PASSWORD})
    text = http.post(
        "/api/session",
        content=b'{"username": "ada", "password": "' + PASSWORD.encode() + b'"}',
        headers={"Content-Type": "text/plain"},
    )

    assert form.status_code == 400
    assert form.json()["reason"] == "The request body is not valid JSON."
    assert text.status_code == 200


def test_a_body_over_the_limit_is_refused_without_reading_it(
    http: httpx.Client,
) -> None:
    answer = http.post("/api/session", content=b"{" + b" " * (64 * 1024 + 1) + b"}")

    assert answer.status_code == 400
    assert "Content-Length must be between 0 and 65536 bytes" in answer.json()["reason"]


def test_the_server_listens_on_127_0_0_1_only(server: AuthServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server._httpd is not None
    assert server._httpd.server_address[0] == "127.0.0.1"


def test_a_chunked_body_is_refused_and_the_connection_closed(
    http: httpx.Client,
) -> None:
    body = b'{"username": "ada", "password": "' + PASSWORD.encode() + b'"}'

    answer = http.post("/api/session", content=iter([body]))

    assert answer.status_code == 411
    assert answer.json() == {
        "error": "length_required",
        "reason": "Send the body with a Content-Length; chunked bodies are not read.",
    }
    assert answer.headers["Connection"] == "close"
    assert sign_in(http)["user"]["name"] == "Ada Lovelace"  # a fresh connection works
