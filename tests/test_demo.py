"""``python -m impact_rx.demo`` end to end, over real HTTP on loopback."""

from __future__ import annotations

import logging
import re
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from impact_rx.demo import DEMO_PASSWORD, main
from impact_rx.demo import server as server_module
from impact_rx.demo.server import AuthServer

PASSWORD_ENV = "IMPACT_RX_DEMO_PASSWORD"
STAMPED = re.compile(r"^\d\d:\d\d:\d\d\.\d\d\d  (state|event)  (\S+)\s*(.*)$")
WRONG_PASSWORD = "POST /api/session was refused (401): Wrong username or password."


def lines(out: str, kind: str) -> list[str]:
    """The ``kind`` lines of the demo's output, as ``NAME detail``."""
    found = []
    for line in out.splitlines():
        match = STAMPED.match(line)
        if match and match[1] == kind:
            found.append(f"{match[2]} {match[3]}".strip())
    return found


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token the embedded server hands out, to look for leaks."""
    tokens: list[str] = []

    def token_urlsafe(nbytes: int) -> str:
        token = secrets.token_urlsafe(nbytes)
        tokens.append(token)
        return token

    recording = SimpleNamespace(
        token_urlsafe=token_urlsafe,
        token_hex=secrets.token_hex,
        token_bytes=secrets.token_bytes,
    )
    monkeypatch.setattr(server_module, "secrets", recording)
    return tokens


@pytest.fixture
def grace() -> Iterator[AuthServer]:
    with AuthServer(scrypt_n=2**8) as server:
        server.add_user("grace", "cobol rules", name="Grace Hopper")
        yield server


def test_the_demo_prints_each_session_state_in_order_and_exits_0(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    issued: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)

    code = main(["--token-lifetime", "0.4"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert lines(out, "state") == [
        "AUTHENTICATED anonymous",
        "SIGNING_IN",
        f"ERROR {WRONG_PASSWORD}",
        "SIGNING_IN",
        "AUTHENTICATED Ada Lovelace",
        "SIGNED_OUT",
    ]
    events = lines(out, "event")
    assert events[:2] == [f"SIGN_IN_FAILED {WRONG_PASSWORD}", "SIGNED_IN Ada Lovelace"]
    assert events[-1] == "SIGNED_OUT Ada Lovelace, reason: user"
    assert set(events[2:-1]) == {"TOKEN_REFRESHED Ada Lovelace"}
    assert "Embedded auth server at http://127.0.0.1:" in out
    assert "-- Signing in as 'ada' with the right password..." in out.splitlines()

    shown = out + "\n".join(r.getMessage() for r in caplog.records)
    assert len(issued) >= 4  # a sign-in and at least one refresh, two each
    assert [s for s in [DEMO_PASSWORD, *issued] if s in shown] == []


def test_the_demo_says_a_closed_port_cannot_be_reached_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    reason = (
        f"POST /api/session could not reach {url} (ConnectError)."
        " Check that the server is running and the URL is right."
    )

    code = main(["--url", url])

    out = capsys.readouterr().out
    assert code == 1
    assert lines(out, "state") == [
        "AUTHENTICATED anonymous",
        "SIGNING_IN",
        f"ERROR {reason}",
    ]
    assert out.splitlines()[-1] == f"-- Cannot reach the auth server at {url}: {reason}"


def test_url_username_and_password_point_the_demo_at_another_server(
    grace: AuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["--url", grace.url, "--username", "grace", "--password", "cobol rules"]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert "Embedded" not in out
    assert lines(out, "state") == [
        "AUTHENTICATED anonymous",
        "SIGNING_IN",
        f"ERROR {WRONG_PASSWORD}",
        "SIGNING_IN",
        "AUTHENTICATED Grace Hopper",
        "SIGNED_OUT",
    ]
    assert "-- The server's tokens are long-lived; not waiting for a refresh." in out
    assert "-- Signing in as 'grace' with the given password..." in out.splitlines()
    assert "cobol rules" not in out


def test_a_password_from_the_environment_is_labelled_as_the_given_one(
    grace: AuthServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "cobol rules")

    code = main(["--url", grace.url, "--username", "grace"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "-- Signing in as 'grace' with the given password..." in out.splitlines()
    assert lines(out, "state")[4] == "AUTHENTICATED Grace Hopper"


def test_with_a_url_and_no_password_the_demo_says_it_tries_the_built_in_one(
    grace: AuthServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    grace.add_user("ada", DEMO_PASSWORD, name="Ada Lovelace")

    code = main(["--url", grace.url])

    out = capsys.readouterr().out
    assert code == 0, out
    assert (
        "-- Signing in as 'ada' with the demo user's built-in password..."
        in out.splitlines()
    )
    assert lines(out, "state")[4] == "AUTHENTICATED Ada Lovelace"
    assert DEMO_PASSWORD not in out


@pytest.mark.parametrize(
    ("username", "password"),
    [("grace", "wrong"), ("nobody", "cobol rules")],
    ids=["wrong-password", "unknown-user"],
)
def test_a_refused_sign_in_ends_in_error_with_the_servers_reason_and_exits_0(
    grace: AuthServer,
    capsys: pytest.CaptureFixture[str],
    username: str,
    password: str,
) -> None:
    code = main(["--url", grace.url, "--username", username, "--password", password])

    out = capsys.readouterr().out
    assert code == 0
    assert lines(out, "state") == [
        "AUTHENTICATED anonymous",
        "SIGNING_IN",
        f"ERROR {WRONG_PASSWORD}",
        "SIGNING_IN",
        f"ERROR {WRONG_PASSWORD}",
    ]
    assert (
        out.splitlines()[-1] == "-- The demo could not sign in; see the reason above."
    )


def test_a_malformed_answer_ends_in_error_with_a_readable_reason(
    grace: AuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    grace.fail_next(200, body=b"<html>hello</html>")
    grace.fail_next(200, body=b'{"user": "grace"}')

    code = main(
        ["--url", grace.url, "--username", "grace", "--password", "cobol rules"]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert lines(out, "state") == [
        "AUTHENTICATED anonymous",
        "SIGNING_IN",
        "ERROR POST /api/session answered 200 with a body that is not JSON."
        f" Check that {grace.url} speaks the impact_rx auth contract.",
        "SIGNING_IN",
        "ERROR POST /api/session answered without a 'user' object."
        " Check that the server speaks the impact_rx auth contract.",
    ]


def test_python_m_impact_rx_demo_runs_the_flow_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "impact_rx.demo", "--token-lifetime", "0.4"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert [s.split()[0] for s in lines(done.stdout, "state")] == [
        "AUTHENTICATED",
        "SIGNING_IN",
        "ERROR",
        "SIGNING_IN",
        "AUTHENTICATED",
        "SIGNED_OUT",
    ]
    assert done.stderr == ""


def test_a_server_that_fails_the_sign_out_is_reported_and_exits_0(
    grace: AuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    grace.fail_next(503, method="DELETE")

    code = main(
        ["--url", grace.url, "--username", "grace", "--password", "cobol rules"]
    )

    out = capsys.readouterr().out
    assert code == 0  # the server was reached: its failure is part of the flow
    assert lines(out, "state")[-2:] == ["AUTHENTICATED Grace Hopper", "SIGNED_OUT"]
    assert out.splitlines()[-1] == (
        "-- Signed out here, but the server did not confirm it:"
        " DELETE /api/session failed with 503 Service Unavailable:"
        " Service Unavailable (injected)."
        " The server may be down or overloaded; retry later."
    )


def test_a_server_that_fails_every_sign_in_is_reported_and_exits_0(
    grace: AuthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(20):  # more than the session's retries
        grace.fail_next(500, method="POST")

    code = main(
        ["--url", grace.url, "--username", "grace", "--password", "cobol rules"]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert [line.split()[0] for line in lines(out, "state")] == [
        "AUTHENTICATED",
        "SIGNING_IN",
        "ERROR",
        "SIGNING_IN",
        "ERROR",
    ]
    assert "500" in lines(out, "state")[-1]
    assert out.splitlines()[-1] == (
        "-- The demo could not sign in; see the reason above."
    )


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_token_lifetime_that_is_not_positive_seconds_exits_2(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit, match=r"^2$"):
        main(["--token-lifetime", value])

    assert f"expected positive seconds, got {value!r}" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://x", "http://127.0.0.1:99999"])
def test_a_url_no_server_can_have_exits_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    with pytest.raises(SystemExit, match=r"^2$"):
        main(["--url", url])

    assert "expected an http:// or https:// URL with a host" in capsys.readouterr().err


def test_a_url_with_a_password_in_it_exits_2_without_showing_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit, match=r"^2$"):
        main(["--url", "http://ada:hunter2-0f9e8d@127.0.0.1:8000"])

    err = capsys.readouterr().err
    assert "expected a URL without a user or password" in err
    assert "hunter2-0f9e8d" not in err


def test_without_httpx_the_demo_says_to_install_the_http_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "impact_rx.demo._flow", raising=False)

    with pytest.raises(
        ImportError,
        match=r"^python -m impact_rx\.demo needs httpx, which the core install"
        r" leaves out\. Install the http extra: pip install 'impact_rx\[http\]'\.$",
    ) as caught:
        main([])

    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_python_m_impact_rx_demo_without_httpx_ends_on_the_install_advice() -> None:
    blocked = (
        "import runpy, sys; sys.modules['httpx'] = None;"
        " runpy.run_module('impact_rx.demo', run_name='__main__', alter_sys=True)"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # The advice alone, no traceback: nothing went wrong in the code.
    assert done.returncode == 2
    assert done.stderr == (
        "python -m impact_rx.demo needs httpx, which the core install"
        " leaves out. Install the http extra: pip install 'impact_rx[http]'.\n"
    )
    assert done.stdout == ""
