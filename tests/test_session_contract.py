"""Issue 2 and 6 read as an outsider would: each sentence attacked once more."""

from __future__ import annotations

import asyncio
import copy
import logging
import pickle
import sys
import threading
from asyncio import CancelledError
from collections.abc import Callable, Iterator
from itertools import pairwise
from random import Random
from typing import Any

import pytest
import reactivex
from reactivex import operators as ops
from reactivex.scheduler import ImmediateScheduler
from session_fakes import ADA, PASSWORD, FakeApi, open_session

from impact_rx import DisposedError, ServiceProvider, Signal, signal_of
from impact_rx.session import (
    USER,
    AuthApi,
    Authenticated,
    AuthenticatorService,
    AuthProtocolError,
    AuthRejectedError,
    AuthSession,
    AuthUnavailableError,
    Credentials,
    RefreshPolicy,
    Secret,
    SessionError,
    SessionEvent,
    SessionService,
    SignedOut,
    SigningIn,
    Tokens,
    User,
    session_provider,
)
from impact_rx.testing import marbles

# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("bad", "kind"),
    [
        (("ada", PASSWORD), "tuple"),
        ("ada:" + PASSWORD, "str"),
        (None, "NoneType"),
        ({"username": "ada"}, "dict"),
    ],
    ids=["pair", "text", "none", "dict"],
)
def test_sign_in_with_something_other_than_credentials_raises_before_any_change(
    bad: Any, kind: str
) -> None:
    with marbles() as m:
        api = FakeApi(sign_in=reactivex.of(ADA))
        session = open_session(m, api)
        states: list[object] = []
        signal_of(session, "state").subscribe(states.append)
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)

        with pytest.raises(
            TypeError,
            match=r"^SessionService\.sign_in\(\) needs Credentials\(username,"
            rf" password\), got {kind}\. Wrap them:"
            r" sign_in\(Credentials\(username, password\)\)\.$",
        ) as caught:
            session.sign_in(bad)

    assert PASSWORD not in str(caught.value)
    assert api.requests == []
    assert states == [Authenticated()]
    assert events == []


def test_bad_credentials_while_a_sign_in_is_pending_raise_instead_of_joining() -> None:
    with marbles() as m:
        api = FakeApi(sign_in=m.cold("--a|", {"a": ADA}))
        session = open_session(m, api)
        pending = session.sign_in(Credentials("ada", PASSWORD))

        with pytest.raises(TypeError, match=r"needs Credentials\(username, password\)"):
            session.sign_in(("ada", PASSWORD))

    assert pending.value == ADA
    assert session.state == Authenticated()


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        (None, PASSWORD, r"takes the username as a str, got NoneType\."),
        ("ada", None, r"takes the password as a str or a Secret, got NoneType\."),
        ("ada", 1234, r"takes the password as a str or a Secret, got int\."),
    ],
    ids=["no-username", "no-password", "a-number"],
)
def test_credentials_of_the_wrong_types_are_refused_without_showing_them(
    username: Any, password: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=r"^Credentials\(\) " + message) as caught:
        Credentials(username, password)

    assert PASSWORD not in str(caught.value) and "1234" not in str(caught.value)


@pytest.mark.parametrize("lifetime", [float("nan"), "60", True])
def test_tokens_with_a_lifetime_that_is_not_a_number_fail_the_sign_in_readably(
    lifetime: Any,
) -> None:
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), lifetime)
        api = FakeApi(sign_in=reactivex.of(AuthSession(ADA, tokens)))
        session = open_session(m, api)
        attempt = session.sign_in(Credentials("ada", PASSWORD))

    assert session.state == SessionError(
        "AuthApi.sign_in() answered tokens whose expires_in is not a number"
        " of seconds. Answer a number, or None for tokens that do not expire."
    )
    with pytest.raises(AuthProtocolError, match="expires_in is not a number"):
        attempt.use()


@pytest.mark.parametrize("lifetime", [float("inf"), 1e300, -5.0])
def test_tokens_that_never_expire_or_expired_already_never_crash_the_session(
    lifetime: float,
) -> None:
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), lifetime)
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 3600)
        api = FakeApi(
            sign_in=reactivex.of(AuthSession(ADA, tokens)), refresh=reactivex.of(fresh)
        )
        session = open_session(m, api)
        attempt = session.sign_in(Credentials("ada", PASSWORD))
        m.advance("10s")

    assert attempt.value == ADA
    assert session.state == Authenticated()
    assert api.requests.count("refresh") == (1 if lifetime < 0 else 0)


def test_a_restore_with_a_lifetime_that_is_not_a_number_is_a_protocol_error() -> None:
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), float("nan"))
        api = FakeApi(authenticate=reactivex.of(AuthSession(ADA, tokens)))
        opening = session_provider(api, scheduler=m.scheduler)

    with pytest.raises(AuthProtocolError, match=r"authenticate\(\) answered tokens"):
        opening.use()


def test_a_refresh_answering_expired_tokens_retries_with_backoff_instead_of_looping(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="impact_rx.session")
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), 60)
        expired = Tokens(Secret("access-2"), Secret("refresh-2"), 0)
        api = FakeApi(
            sign_in=reactivex.of(AuthSession(ADA, tokens)),
            refresh=lambda _token: reactivex.of(expired),
        )
        policy = RefreshPolicy(lead=30, first_retry=1, max_retry=8, jitter=0)
        provider = m.provider(
            [SessionService], {USER: None, AuthApi: api, RefreshPolicy: policy}
        )
        session = provider.get(SessionService)
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)
        session.sign_in(Credentials("ada", PASSWORD))
        m.advance("30s")  # the first refresh, at 30 s, answers expired tokens
        assert api.requests.count("refresh") == 1
        m.advance("15s")  # retries 1, 2, 4 and 8 s later: at 31, 33, 37 and 45 s

    assert api.requests.count("refresh") == 5
    assert session.state == Authenticated()
    assert [e.type for e in events] == ["SIGNED_IN"]
    assert "answered tokens that have already expired" in caplog.text


# ---------------------------------------------------------------- races


GRACE = User("2", "Grace")
TOKENS = Tokens(Secret("access-1"), Secret("refresh-1"), 3600)


def at(m: Any, diagram: str, action: Any) -> None:
    """Run ``action`` at each value of the hot ``diagram``."""
    m.hot(diagram).subscribe(lambda _: action())


def test_a_sign_in_failing_after_a_sign_out_leaves_no_error_and_no_event() -> None:
    with marbles() as m:
        api = FakeApi(sign_in=m.cold("50ms #", error=AuthRejectedError("Nope.")))
        session = open_session(m, api)
        attempt: list[Any] = []

        at(m, "s", lambda: attempt.append(session.sign_in(Credentials("ada", "pw"))))
        at(m, "20ms o", lambda: session.sign_out())
        m.expect(signal_of(session, "state")).to_be(
            "(ab) 16ms c", {"a": Authenticated(), "b": SigningIn(), "c": SignedOut()}
        )
        m.expect(session.events).to_be(
            "20ms o", {"o": SessionEvent("SIGNED_OUT", reason="user")}
        )
        m.advance("100ms")

    assert isinstance(attempt[0].reason, CancelledError)


def test_signing_out_twice_during_a_sign_in_ends_it_once() -> None:
    with marbles() as m:
        api = FakeApi(sign_in=m.cold("50ms (a|)", {"a": ADA}))
        session = open_session(m, api)

        at(m, "s", lambda: session.sign_in(Credentials("ada", "pw")))
        at(m, "10ms o 4ms o", lambda: session.sign_out())
        m.expect(session.events).to_be(
            "10ms o", {"o": SessionEvent("SIGNED_OUT", reason="user")}
        )
        m.advance("100ms")

    assert (session.state, session.user) == (SignedOut(), None)
    assert api.requests == ["sign_in", "sign_out", "sign_out"]


def test_a_late_refresh_while_the_next_user_still_signs_in_changes_nothing() -> None:
    with marbles() as m:
        renewed = Tokens(Secret("access-2"), Secret("refresh-2"), 3600)
        api = FakeApi(
            sign_in=lambda credentials: {
                "ada": m.cold("(a|)", {"a": AuthSession(ADA, TOKENS)}),
                "grace": m.cold("40ms (a|)", {"a": AuthSession(GRACE, TOKENS)}),
            }[credentials.username],
            refresh=m.cold("40ms (a|)", {"a": renewed}),
        )
        session = open_session(m, api)

        at(m, "i", lambda: session.sign_in(Credentials("ada", "pw")))
        at(m, "10ms r", lambda: session.refresh())
        at(m, "20ms o", lambda: session.sign_out())
        at(m, "30ms g", lambda: session.sign_in(Credentials("grace", "pw")))
        m.expect(signal_of(session, "state")).to_be(
            "(asa) 15ms o 9ms s 39ms a",
            {"a": Authenticated(), "s": SigningIn(), "o": SignedOut()},
        )
        m.expect(session.events).to_be(
            "a 19ms o 49ms g",
            {
                "a": SessionEvent("SIGNED_IN", user=ADA),
                "o": SessionEvent("SIGNED_OUT", user=ADA, reason="user"),
                "g": SessionEvent("SIGNED_IN", user=GRACE),
            },
        )
        m.advance("100ms")
        assert session.access_token().value == Secret("access-1")  # not renewed

    assert (session.state, session.user) == (Authenticated(), GRACE)


def test_disposing_mid_flight_emits_nothing_more_and_twice_is_harmless() -> None:
    with marbles() as m:
        api = FakeApi(
            sign_in=m.cold("50ms (a|)", {"a": AuthSession(ADA, TOKENS)}),
        )
        provider = m.provider([SessionService], {USER: None, AuthApi: api})
        session = provider.get(SessionService)
        heard: list[object] = []
        signal_of(session, "state").subscribe(heard.append)
        session.events.subscribe(heard.append)

        attempt = session.sign_in(Credentials("ada", "pw"))
        m.advance("20ms")
        provider.dispose()
        provider.dispose()
        session.dispose()
        m.advance("100ms")

    assert heard == [Authenticated(), SigningIn()]
    assert isinstance(attempt.reason, CancelledError)  # awaiting it never hangs
    with pytest.raises(DisposedError, match=r"sign_in\(\) was called after"):
        session.sign_in(Credentials("ada", "pw"))


def test_disposing_during_a_refresh_backoff_sends_no_more_refreshes() -> None:
    with marbles() as m:
        short = Tokens(Secret("access-1"), Secret("refresh-1"), 2)
        down = AuthUnavailableError("down")
        api = FakeApi(
            sign_in=reactivex.of(AuthSession(ADA, short)),
            refresh=lambda _token: reactivex.throw(down),
        )
        provider = m.provider(
            [SessionService], {USER: None, AuthApi: api, Random: Random(1)}
        )
        session = provider.get(SessionService)
        session.sign_in(Credentials("ada", "pw"))
        m.advance("1200ms")  # the refresh at 1 s failed; a retry waits >= 0.5 s
        provider.dispose()
        m.advance("10m")

    assert api.requests.count("refresh") == 1


def test_churning_observers_during_a_pending_sign_in_leaves_one_signed_in() -> None:
    with marbles() as m:
        api = FakeApi(sign_in=m.cold("10ms (a|)", {"a": ADA}))
        session = open_session(m, api)
        gone: list[SessionEvent] = []
        live: list[SessionEvent] = []

        session.sign_in(Credentials("ada", "pw"))
        for _ in range(5):
            session.events.subscribe(gone.append).dispose()
            m.advance("1ms")
        session.events.subscribe(live.append)
        for _ in range(3):
            session.events.subscribe(gone.append).dispose()
        m.advance("20ms")

    assert gone == []
    assert live == [SessionEvent("SIGNED_IN", user=ADA)]


def test_an_expired_restore_of_30_frames_is_pending_then_refreshed_once() -> None:
    with marbles() as m:
        expired = Tokens(Secret("access-1"), Secret("refresh-1"), 0)
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 3600)
        api = FakeApi(
            authenticate=m.cold("30ms (a|)", {"a": AuthSession(ADA, expired)}),
            refresh=m.cold("5ms (a|)", {"a": fresh}),
        )
        opening = session_provider(api, scheduler=m.scheduler)
        m.expect(opening.pipe(ops.map(lambda s: s.status))).to_be(
            "p 29ms (f|)", {"p": "pending", "f": "fulfilled"}
        )
        m.advance("30ms")
        session = opening.use().get(SessionService)
        m.expect(signal_of(session, "state")).to_be("a", {"a": Authenticated()})
        m.expect(session.events).to_be(
            "5ms r", {"r": SessionEvent("TOKEN_REFRESHED", user=ADA)}
        )
        m.advance("1s")

    assert api.requests == ["authenticate", "refresh"]
    assert session.access_token().value == Secret("access-2")


# ---------------------------------------------------------------- threads


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can: races show."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_together(*actions: Callable[[], object]) -> None:
    """Start ``actions`` on their own threads at once; fail if one hangs."""
    start = threading.Barrier(len(actions))
    failures: list[BaseException] = []

    def run(action: Callable[[], object]) -> None:
        start.wait()
        try:
            action()
        except BaseException as error:  # reported below, on the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(a,), daemon=True) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads), "deadlocked"
    assert failures == []


def immediate_session(api: Any) -> tuple[ServiceProvider, SessionService]:
    provider = ServiceProvider(
        [SessionService],
        {USER: None, AuthApi: api},
        scheduler=ImmediateScheduler.singleton(),
    )
    return provider, provider.get(SessionService)


@pytest.mark.usefixtures("switch_often")
def test_sign_in_and_sign_out_from_two_threads_never_leave_a_stale_signing_in() -> None:
    for _ in range(200):
        race_sign_in_against_sign_out()


def race_sign_in_against_sign_out() -> None:
    api = FakeApi(sign_in=lambda c: reactivex.of(User(c.username, c.username)))
    provider, session = immediate_session(api)
    events: list[SessionEvent] = []
    session.events.subscribe(events.append)

    run_together(
        lambda: session.sign_in(Credentials("ada", "pw")),
        lambda: session.sign_out(),
    )

    assert (session.state, session.user) in (
        (Authenticated(), User("ada", "ada")),
        (SignedOut(), None),
    )
    assert (events[-1].type == "SIGNED_IN") == (session.user is not None)
    provider.dispose()


@pytest.mark.usefixtures("switch_often")
def test_two_threads_signing_in_at_once_share_one_request() -> None:
    for _ in range(200):
        race_two_sign_ins()


def race_two_sign_ins() -> None:
    api = FakeApi(sign_in=lambda _credentials: reactivex.never())
    provider, session = immediate_session(api)
    attempts: list[Any] = []

    run_together(
        lambda: attempts.append(session.sign_in(Credentials("ada", "pw"))),
        lambda: attempts.append(session.sign_in(Credentials("bob", "pw"))),
    )

    assert api.requests == ["sign_in"]
    assert attempts[0] is attempts[1]
    provider.dispose()


def test_a_subscriber_signing_out_while_another_thread_signs_in_never_deadlocks() -> (
    None
):
    for _ in range(50):
        race_a_subscriber_against_sign_ins()


def race_a_subscriber_against_sign_ins() -> None:
    api = FakeApi(sign_in=lambda c: reactivex.of(User(c.username, c.username)))
    provider, session = immediate_session(api)
    busy = Signal(0)
    busy.subscribe(lambda n: session.sign_out() if n else None)

    def write_many() -> None:
        for n in range(1, 20):
            busy.value = n

    def sign_in_many() -> None:
        for _ in range(20):
            session.sign_in(Credentials("ada", "pw"))

    run_together(write_many, sign_in_many)
    assert session.state in (Authenticated(), SignedOut())
    provider.dispose()


@pytest.mark.usefixtures("switch_often")
def test_two_threads_authenticating_at_once_share_one_restore() -> None:
    for _ in range(200):
        race_two_restores()


def race_two_restores() -> None:
    api = FakeApi(authenticate=lambda: reactivex.never())
    authenticator = AuthenticatorService(api)
    restores: list[Any] = []

    run_together(
        lambda: restores.append(authenticator.authenticate()),
        lambda: restores.append(authenticator.authenticate()),
    )

    assert api.requests == ["authenticate"]
    assert restores[0] is restores[1]
    authenticator.dispose()


# ---------------------------------------------------------------- backoff


def test_retries_grow_to_the_cap_with_jitter_from_the_injected_random() -> None:
    policy = RefreshPolicy(lead=30, first_retry=1, max_retry=8, jitter=0.5)
    with marbles() as m:
        down = AuthUnavailableError("down")
        frames: list[int] = []

        def refresh(_token: Secret[str]) -> Any:
            frames.append(m.scheduler.frame)
            return reactivex.throw(down)

        api = FakeApi(
            sign_in=reactivex.of(
                AuthSession(ADA, Tokens(Secret("a"), Secret("r"), 60))
            ),
            refresh=refresh,
        )
        provider = m.provider(
            [SessionService],
            {USER: None, AuthApi: api, RefreshPolicy: policy, Random: Random(5)},
        )
        session = provider.get(SessionService)
        session.sign_in(Credentials("ada", PASSWORD))
        m.advance("2m")
        assert session.state == Authenticated()  # never given up, never signed out

    rng = Random(5)
    expected = [policy.retry_delay(n, rng) * 1000 for n in range(len(frames) - 1)]
    gaps = [b - a for a, b in pairwise(frames)]
    assert frames[0] == 30_000
    assert len(gaps) > 10
    assert all(abs(gap - want) <= 1 for gap, want in zip(gaps, expected, strict=True))
    assert all(4000 <= gap <= 8000 for gap in gaps[3:])  # capped, half of it jitter
    assert len(set(gaps[3:])) > 1  # jittered, not in lockstep


# ---------------------------------------------------------------- secrets


def test_secrets_copy_but_never_pickle() -> None:
    tokens = Tokens(Secret("access-0f9e8d"), Secret("refresh-0f9e8d"), 60)
    session = AuthSession(ADA, tokens)

    assert copy.deepcopy(session) == session
    assert copy.copy(tokens.access_token) is tokens.access_token
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="Secret refuses to be pickled"):
            pickle.dumps(session, protocol=protocol)


# ---------------------------------------------------------------- construction


def test_a_session_can_be_built_directly_from_a_user_and_an_api() -> None:
    api = FakeApi(sign_in=reactivex.of(ADA), sign_out=None)
    session = SessionService(None, api)

    assert session.sign_in(Credentials("ada", PASSWORD)).value == ADA
    assert (session.state, session.user) == (Authenticated(), ADA)
    session.dispose()


async def test_a_session_built_directly_in_async_code_refreshes_on_the_loop() -> None:
    fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 3600)
    api = FakeApi(
        sign_in=reactivex.of(AuthSession(ADA, Tokens(Secret("a"), Secret("r"), 0))),
        refresh=reactivex.of(fresh),
    )
    session = SessionService(None, api)
    refreshed = asyncio.Event()
    session.events.subscribe(
        lambda e: refreshed.set() if e.type == "TOKEN_REFRESHED" else None
    )

    session.sign_in(Credentials("ada", PASSWORD))
    await asyncio.wait_for(refreshed.wait(), timeout=5)

    assert session.access_token().value == Secret("access-2")
    session.dispose()


def test_a_timer_refresh_and_callers_of_an_expired_token_share_one_rotation() -> None:
    with marbles() as m:
        server_refresh = "refresh-1"

        def rotate(token: Secret[str]) -> Any:
            nonlocal server_refresh
            if token.reveal() != server_refresh:
                return reactivex.throw(AuthRejectedError("Refresh token reused."))
            server_refresh = "refresh-2"
            fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 3600)
            return m.cold("15ms (a|)", {"a": fresh})

        short = Tokens(Secret("access-1"), Secret("refresh-1"), expires_in=0.02)
        api = FakeApi(sign_in=reactivex.of(AuthSession(ADA, short)), refresh=rotate)
        policy = RefreshPolicy(lead=0.01)  # 20 ms tokens refresh after 10 ms
        provider = m.provider(
            [SessionService], {USER: None, AuthApi: api, RefreshPolicy: policy}
        )
        session = provider.get(SessionService)
        session.sign_in(Credentials("ada", "pw"))
        answers: list[Any] = []
        at(m, "20ms (aar)", lambda: answers.append(session.access_token()))
        m.expect(session.events).to_be(
            "25ms r", {"r": SessionEvent("TOKEN_REFRESHED", user=ADA)}
        )
        m.advance("40ms")

    assert api.requests.count("refresh") == 1
    assert len({id(a) for a in answers}) == 1
    assert answers[0].value == Secret("access-2")
    assert session.state == Authenticated()


def test_a_sign_in_answered_with_a_session_without_a_user_is_a_protocol_error() -> None:
    with marbles() as m:
        tokens = Tokens(Secret("access-1"), Secret("refresh-1"), 60)
        api = FakeApi(sign_in=reactivex.of(AuthSession(None, tokens)))  # type: ignore[arg-type]
        session = open_session(m, api)
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)
        attempt = session.sign_in(Credentials("ada", PASSWORD))

    assert session.state == SessionError(
        "AuthApi.sign_in() answered without a user. Answer an AuthSession or a User."
    )
    assert [e.type for e in events] == ["SIGN_IN_FAILED"]
    with pytest.raises(AuthProtocolError, match="answered without a user"):
        attempt.use()
