"""SessionService, AuthenticatorService and session_provider."""

from __future__ import annotations

import asyncio
import logging
import pickle
from random import Random
from typing import Any

import pytest
import reactivex
from reactivex import operators as ops
from session_fakes import ADA, PASSWORD, FakeApi, open_session

from impact_rx import (
    DisposedError,
    Fulfilled,
    Pending,
    Rejected,
    ServiceProvider,
    Suspense,
    signal_of,
)
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

ACCESS = "access-token-0f9e8d"
REFRESH = "refresh-token-7a6b5c"


def at(m: Any, diagram: str, action: Any) -> None:
    """Run ``action`` at each value of the hot ``diagram``."""
    m.hot(diagram).subscribe(lambda _: action())


# ---------------------------------------------------------------- states


def test_each_state_names_its_status() -> None:
    assert [s.status for s in (Authenticated(), SigningIn(), SignedOut())] == [
        "AUTHENTICATED",
        "SIGNING_IN",
        "SIGNED_OUT",
    ]
    assert SessionError("Wrong password.").status == "ERROR"
    assert SessionError("Wrong password.").error == "Wrong password."


def test_states_are_frozen_values() -> None:
    assert SessionError("x") == SessionError("x") != SessionError("y")
    with pytest.raises(AttributeError, match="error"):
        SessionError("x").error = "y"  # type: ignore[misc]


def test_events_show_only_what_they_carry() -> None:
    event = SessionEvent("SIGNED_OUT", user=ADA, reason="expired")
    assert repr(event) == (
        "SessionEvent('SIGNED_OUT', user=User(id='1', name='Ada'), reason='expired')"
    )


# ------------------------------------------------------- Impact's session flow


def test_an_anonymous_session_is_authenticated_without_a_user() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi())
        assert session.state == Authenticated()
        assert session.user is None
        assert session.is_anonymous


def test_a_sign_in_moves_through_signing_in_to_authenticated_in_three_diagrams() -> (
    None
):
    with marbles() as m:
        api = FakeApi(sign_in=m.cold("--a|", {"a": ADA}))
        session = open_session(m, api)

        at(m, "-s", lambda: session.sign_in(Credentials("ada", PASSWORD)))
        m.expect(signal_of(session, "state")).to_be(
            "ab-c", {"a": Authenticated(), "b": SigningIn(), "c": Authenticated()}
        )
        m.expect(session.events).to_be(
            "---i", {"i": SessionEvent("SIGNED_IN", user=ADA)}
        )

    assert session.user == ADA
    assert not session.is_anonymous


def test_user_and_state_change_in_one_batch_on_sign_in() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=m.cold("-a|", {"a": ADA})))
        seen: list[tuple[str, Any, Any]] = []
        signal_of(session, "user").subscribe(
            lambda u: seen.append(("user", u, session.state))
        )
        signal_of(session, "state").subscribe(
            lambda s: seen.append(("state", session.user, s))
        )
        seen.clear()
        session.sign_in(Credentials("ada", PASSWORD))
        seen.clear()

    assert ("user", ADA, Authenticated()) in seen
    assert ("state", ADA, Authenticated()) in seen
    assert all(who == ADA for _, who, _ in seen)


def test_a_failed_sign_in_becomes_a_session_error_with_the_message() -> None:
    with marbles() as m:
        rejected = AuthRejectedError("Unknown user or wrong password.")
        api = FakeApi(sign_in=m.cold("--#", error=rejected))
        session = open_session(m, api)

        attempt = session.sign_in(Credentials("ada", "nope"))
        m.expect(signal_of(session, "state")).to_be(
            "b-e",
            {"b": SigningIn(), "e": SessionError("Unknown user or wrong password.")},
        )
        m.expect(session.events).to_be(
            "--f",
            {
                "f": SessionEvent(
                    "SIGN_IN_FAILED", error="Unknown user or wrong password."
                )
            },
        )

    assert attempt.state == Rejected(rejected)
    assert session.user is None


def test_a_failed_sign_in_over_a_session_ends_that_session_too() -> None:
    # Signing in again drops the previous tokens at once, so when the new
    # sign-in fails nobody is signed in any more, and listeners are told so.
    with marbles() as m:
        rejected = AuthRejectedError("Unknown user or wrong password.")
        api = FakeApi(sign_in=m.cold("--#", error=rejected))
        session = open_session(m, api, ADA)

        session.sign_in(Credentials("grace", "nope"))
        m.expect(session.events).to_be(
            "--(of)",
            {
                "o": SessionEvent("SIGNED_OUT", user=ADA, reason="user"),
                "f": SessionEvent(
                    "SIGN_IN_FAILED", error="Unknown user or wrong password."
                ),
            },
        )
        m.flush()
        assert session.access_token().value is None

    assert session.state == SessionError("Unknown user or wrong password.")
    assert session.user is None


def test_an_api_that_raises_at_once_fails_the_sign_in_with_its_message() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=ValueError("No network.")))
        attempt = session.sign_in(Credentials("ada", PASSWORD))

    assert session.state == SessionError("No network.")
    with pytest.raises(ValueError, match="No network"):
        attempt.use()


def test_an_error_without_text_still_gets_a_readable_message() -> None:
    with marbles() as m:
        session = open_session(
            m, FakeApi(sign_in=m.cold("#", error=AuthUnavailableError()))
        )
        session.sign_in(Credentials("ada", PASSWORD))

    assert session.state == SessionError(
        "The server did not accept the request (AuthUnavailableError)."
    )


def test_a_sign_in_answered_without_a_user_is_a_protocol_error() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=m.cold("-|")))
        attempt = session.sign_in(Credentials("ada", PASSWORD))

    assert session.state == SessionError(
        "AuthApi.sign_in() answered without a user. Answer an AuthSession or a User."
    )
    with pytest.raises(AuthProtocolError, match="answered without a user"):
        attempt.use()


def test_sign_out_ends_signed_out_without_a_user_even_if_the_server_fails() -> None:
    with marbles() as m:
        down = AuthUnavailableError("The server is down.")
        api = FakeApi(sign_out=m.cold("--#", error=down))
        session = open_session(m, api, ADA)

        m.expect(session.events).to_be(
            "o", {"o": SessionEvent("SIGNED_OUT", user=ADA, reason="user")}
        )
        told = session.sign_out()
        m.expect(told).to_be("p-(r|)", {"p": Pending(), "r": Rejected(down)})

    assert session.state == SignedOut()
    assert session.user is None


def test_signing_out_twice_emits_signed_out_once() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_out=None), ADA)
        m.expect(session.events).to_be(
            "(o)", {"o": SessionEvent("SIGNED_OUT", user=ADA, reason="user")}
        )
        session.sign_out()
        session.sign_out()


def test_a_second_sign_in_while_one_is_pending_joins_it() -> None:
    with marbles() as m:
        api = FakeApi(sign_in=m.cold("---a|", {"a": ADA}))
        session = open_session(m, api)
        m.expect(session.events).to_be(
            "---i", {"i": SessionEvent("SIGNED_IN", user=ADA)}
        )

        first = session.sign_in(Credentials("ada", PASSWORD))
        at(m, "-s", lambda: joined.append(session.sign_in(Credentials("x", "y"))))
        joined: list[Any] = []

    assert joined == [first]
    assert api.requests == ["sign_in"]
    assert first.value == ADA


def test_a_sign_in_after_a_failed_one_asks_again() -> None:
    with marbles() as m:
        api = FakeApi(sign_in=[m.cold("#", error=AuthRejectedError("No.")), ADA])
        session = open_session(m, api)
        session.sign_in(Credentials("ada", "wrong"))
        m.advance(1)
        session.sign_in(Credentials("ada", PASSWORD))

    assert api.requests == ["sign_in", "sign_in"]
    assert session.user == ADA


def test_update_user_replaces_the_details_and_emits_user_updated() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(), ADA)
        m.expect(session.events).to_be(
            "u", {"u": SessionEvent("USER_UPDATED", user=User("1", "Ada L."))}
        )
        session.update_user(User("1", "Ada L."))
        with pytest.raises(ValueError, match="has a different id"):
            session.update_user(User("2", "Grace"))


# ---------------------------------------------------------------- disposal


def test_nothing_is_emitted_after_disposal_and_disposing_twice_is_harmless() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=m.cold("--a|", {"a": ADA})))
        states: list[Any] = []
        events: list[Any] = []
        signal_of(session, "state").subscribe(states.append)
        session.events.subscribe(events.append)

        attempt = session.sign_in(Credentials("ada", PASSWORD))
        session.dispose()
        session.dispose()
        m.advance(10)

    assert states == [Authenticated(), SigningIn()]
    assert events == []
    assert attempt.status == "rejected"
    with pytest.raises(DisposedError, match=r"sign_in\(\) was called after"):
        session.sign_in(Credentials("ada", PASSWORD))


def test_disposing_the_provider_cancels_the_refresh_timer() -> None:
    with marbles() as m:
        api = FakeApi(refresh=m.cold("a|", {"a": Tokens(Secret(ACCESS))}))
        api.answers["sign_in"] = AuthSession(
            ADA, Tokens(Secret(ACCESS), Secret(REFRESH), 1)
        )
        provider = m.provider([SessionService], {USER: None, AuthApi: api})
        provider.get(SessionService).sign_in(Credentials("ada", PASSWORD))
        provider.dispose()
        m.advance("5s")

    assert "refresh" not in api.requests


# ---------------------------------------------------------------- tokens


def signed_in(
    m: Any, api: FakeApi, tokens: Tokens, values: dict[Any, Any] | None = None
) -> SessionService:
    api.answers["sign_in"] = AuthSession(ADA, tokens)
    session = open_session(m, api, values=values)
    session.sign_in(Credentials("ada", PASSWORD))
    return session


def test_tokens_are_refreshed_before_they_expire() -> None:
    with marbles() as m:
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 60)
        api = FakeApi(refresh=m.cold("a|", {"a": fresh}))
        session = signed_in(m, api, Tokens(Secret(ACCESS), Secret(REFRESH), 60))
        m.expect(session.events).to_be(
            "30s r", {"r": SessionEvent("TOKEN_REFRESHED", user=ADA)}
        )
        m.advance("31s")
        assert session.access_token().value == Secret("access-2")


def test_ten_callers_share_one_refresh_and_one_result() -> None:
    with marbles() as m:
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 60)
        api = FakeApi(refresh=m.cold("---a|", {"a": fresh}))
        tokens = Tokens(Secret(ACCESS), Secret(REFRESH), 60)
        session = signed_in(m, api, tokens, {RefreshPolicy: RefreshPolicy(lead=0)})
        m.advance("60s")  # expired, and the refresh due now is in flight
        answers = [session.access_token() for _ in range(5)]
        answers += [session.refresh() for _ in range(5)]

    assert api.requests.count("refresh") == 1
    assert len({id(a) for a in answers}) == 1
    assert answers[0].value == Secret("access-2")


def test_a_fresh_token_is_answered_at_once_and_never_shown_in_state() -> None:
    with marbles() as m:
        session = signed_in(m, FakeApi(), Tokens(Secret(ACCESS), Secret(REFRESH), 60))
        token = session.access_token()

    assert token.value == Secret(ACCESS)
    assert ACCESS not in repr(session.state) + repr(session) + repr(session.user)


def test_an_anonymous_session_has_no_access_token() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi())
        assert session.access_token().value is None


def test_a_network_failure_keeps_the_session_and_retries_with_backoff() -> None:
    with marbles() as m:
        down = AuthUnavailableError("The auth server is unavailable.")
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 3600)
        answers = [m.cold("#", error=down)] * 3 + [m.cold("a|", {"a": fresh})]
        api = FakeApi(refresh=answers)
        policy = RefreshPolicy(first_retry=1, max_retry=2, jitter=0)
        session = signed_in(
            m, api, Tokens(Secret(ACCESS), Secret(REFRESH), 60), {RefreshPolicy: policy}
        )
        m.expect(session.events).to_be(
            "35s r", {"r": SessionEvent("TOKEN_REFRESHED", user=ADA)}
        )
        m.expect(signal_of(session, "state")).to_be("a", {"a": Authenticated()})
        # refresh due at 30 s fails; retries at 31 s, 33 s (2 s), 35 s (capped)
        m.advance("40s")

    assert api.requests.count("refresh") == 4


def test_retry_jitter_comes_from_the_injected_random() -> None:
    def retry_frames(seed: int) -> list[int]:
        with marbles() as m:
            down = AuthUnavailableError("down")
            api = FakeApi(refresh=lambda _token: m.cold("#", error=down))
            frames: list[int] = []
            original = api.refresh

            def refresh(token: Secret[str]) -> Any:
                frames.append(m.scheduler.frame)
                return original(token)

            api.refresh = refresh  # type: ignore[method-assign]
            signed_in(
                m,
                api,
                Tokens(Secret(ACCESS), Secret(REFRESH), 60),
                {Random: Random(seed)},
            )
            m.advance("45s")
        return frames

    assert retry_frames(7) == retry_frames(7)
    assert retry_frames(7) != retry_frames(8)


def test_a_rejected_refresh_signs_out_with_reason_expired() -> None:
    with marbles() as m:
        spent = AuthRejectedError("Refresh token expired.")
        api = FakeApi(refresh=m.cold("-#", error=spent))
        session = signed_in(m, api, Tokens(Secret(ACCESS), Secret(REFRESH), 60))
        m.expect(session.events).to_be(
            "30001ms o", {"o": SessionEvent("SIGNED_OUT", user=ADA, reason="expired")}
        )
        m.advance("31s")
        assert session.access_token().value is None

    assert session.state == SignedOut()
    assert session.user is None


def test_a_refresh_for_another_user_revokes_the_session() -> None:
    with marbles() as m:
        other = AuthSession(User("2", "Mallory"), Tokens(Secret("x"), Secret("y"), 60))
        api = FakeApi(refresh=m.cold("a|", {"a": other}))
        session = signed_in(m, api, Tokens(Secret(ACCESS), Secret(REFRESH), 60))
        refreshed = session.refresh()

    assert session.state == SignedOut()
    with pytest.raises(AuthRejectedError, match="another user"):
        refreshed.use()


# ---------------------------------------------------------------- restore


def test_authenticate_returns_the_same_suspense_until_reauthenticate() -> None:
    with marbles() as m:
        api = FakeApi(authenticate=m.cold("-a|", {"a": ADA}))
        authenticator = m.provider([AuthenticatorService], {AuthApi: api}).get(
            AuthenticatorService
        )
        first = authenticator.authenticate()
        assert authenticator.authenticate() is first
        again = authenticator.reauthenticate()

    assert again is not first
    assert first.status == "rejected"  # cancelled: superseded
    assert again.value == ADA
    assert api.requests == ["authenticate", "authenticate"]


def test_a_rejected_stored_session_restores_as_anonymous() -> None:
    with marbles() as m:
        api = FakeApi(authenticate=m.cold("#", error=AuthRejectedError("expired")))
        restore = AuthenticatorService(api).authenticate()
    assert restore.state == Fulfilled(None)


def test_an_unreachable_server_rejects_the_restore() -> None:
    with marbles() as m:
        down = AuthUnavailableError("Cannot reach the server.")
        api = FakeApi(authenticate=m.cold("#", error=down))
        opening = session_provider(api, scheduler=m.scheduler)

    with pytest.raises(AuthUnavailableError, match="Cannot reach"):
        opening.use()


def test_an_expired_restored_token_refreshes_once_and_stays_authenticated() -> None:
    with marbles() as m:
        expired = Tokens(Secret(ACCESS), Secret(REFRESH), expires_in=0)
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 3600)
        api = FakeApi(
            authenticate=m.cold("5ms (a|)", {"a": AuthSession(ADA, expired)}),
            refresh=m.cold("3ms (a|)", {"a": fresh}),
        )
        opening = session_provider(api, scheduler=m.scheduler)
        m.advance(5)
        session = opening.use().get(SessionService)
        m.expect(signal_of(session, "state")).to_be("a", {"a": Authenticated()})
        m.expect(session.events).to_be(
            "3ms r", {"r": SessionEvent("TOKEN_REFRESHED", user=ADA)}
        )
        m.advance(10)

    assert api.requests == ["authenticate", "refresh"]
    assert session.user == ADA


def test_session_provider_opens_the_session_for_the_restored_user() -> None:
    with marbles() as m:
        api = FakeApi(authenticate=m.cold("a|", {"a": ADA}))
        opening = session_provider(api, scheduler=m.scheduler, name="app")
    provider = opening.use()

    assert provider.get(SessionService).user == ADA
    provider.dispose()
    with pytest.raises(DisposedError, match="app"):
        provider.get(SessionService)


async def test_session_provider_awaits_a_coroutine_api() -> None:
    class AsyncApi:
        async def authenticate(self) -> AuthSession | None:
            await asyncio.sleep(0)
            return AuthSession(ADA, Tokens(Secret(ACCESS)))

        async def sign_in(self, credentials: Credentials) -> AuthSession:
            raise AuthRejectedError("Wrong password.")

        async def sign_out(self) -> None:
            await asyncio.sleep(0)

    async with await session_provider(AsyncApi()) as provider:
        session = provider.get(SessionService)
        with pytest.raises(AuthRejectedError, match="Wrong password"):
            await session.sign_in(Credentials("ada", PASSWORD))
        assert session.state == SessionError("Wrong password.")
        await session.sign_out()
        assert session.state == SignedOut()

    assert session.is_disposed


# ---------------------------------------------------------------- secrets


def test_no_token_or_password_leaks_into_reprs_logs_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with marbles() as m:
        tokens = Tokens(Secret(ACCESS), Secret(REFRESH), 60)
        down = AuthUnavailableError("The auth server is down.")
        api = FakeApi(
            authenticate=m.cold("a|", {"a": AuthSession(ADA, tokens)}),
            sign_in=[
                m.cold("#", error=AuthRejectedError("Wrong password.")),
                m.cold("a|", {"a": AuthSession(ADA, tokens)}),
            ],
            refresh=[m.cold("#", error=down), m.cold("a|", {"a": tokens})],
            sign_out=None,
        )
        opening = session_provider(api, scheduler=m.scheduler)
        m.advance(1)
        provider = opening.use()
        session = provider.get(SessionService)
        record = [signal_of(session, "state"), signal_of(session, "user")]
        for source in record:
            source.subscribe(lambda v: texts.append(repr(v)))
        session.events.subscribe(lambda e: texts.append(repr(e)))

        attempts = [
            session.sign_in(Credentials("ada", PASSWORD)),
            session.access_token(),
        ]
        m.advance(1)
        attempts.append(session.sign_in(Credentials("ada", PASSWORD)))
        m.advance("35s")
        attempts += [session.access_token(), session.refresh(), session.sign_out()]
        texts += [repr(x) for x in (session, provider, opening, api, *attempts)]
        texts += [repr(Credentials("ada", PASSWORD)), str(tokens), repr(tokens)]
        for attempt in attempts:
            if attempt.reason is not None:
                texts += [str(attempt.reason), repr(attempt.reason)]
        texts += [r.getMessage() for r in caplog.records]
        provider.dispose()

    assert any("TOKEN_REFRESHED" in t for t in texts)
    assert any("retries in" in t for t in texts)  # the failed refresh was logged
    for secret in (PASSWORD, ACCESS, REFRESH):
        assert not [t for t in texts if secret in t]
    with pytest.raises(TypeError, match="refuses to be pickled"):
        pickle.dumps(tokens)


def test_a_provider_for_the_session_rejects_a_missing_user_value() -> None:
    with pytest.raises(LookupError, match="USER"):
        ServiceProvider([SessionService], {AuthApi: FakeApi()}).get(SessionService)


def test_a_sign_out_from_a_state_subscriber_is_not_followed_by_signed_in() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_in=ADA, sign_out=None))
        events: list[SessionEvent] = []
        session.events.subscribe(events.append)
        signal_of(session, "state").subscribe(
            lambda s: (
                session.sign_out() if session.user and s == Authenticated() else None
            )
        )
        session.sign_in(Credentials("ada", PASSWORD))

    assert session.state == SignedOut()
    assert events == [SessionEvent("SIGNED_OUT", user=ADA, reason="user")]


def test_the_whole_sign_in_from_start_up_is_three_lines_of_diagrams() -> None:
    def sign_in_once_open(opened: Any) -> Any:
        """The session's states from the moment it opens; then sign in."""
        session = opened.value.get(SessionService)

        def subscribe(observer: Any, scheduler: Any = None) -> Any:
            subscription = signal_of(session, "state").subscribe(observer)
            session.sign_in(Credentials("ada", PASSWORD))
            return subscription

        return reactivex.create(subscribe)

    with marbles() as m:
        api = FakeApi(
            authenticate=m.cold("--n|", {"n": None}),
            sign_in=m.cold("       -----a|", {"a": ADA}),
        )
        expected = "             --(ab)-a"

        opening = session_provider(api, scheduler=m.scheduler)
        m.expect(
            opening.pipe(
                ops.filter(lambda state: isinstance(state, Fulfilled)),
                ops.flat_map(sign_in_once_open),
            )
        ).to_be(expected, {"a": Authenticated(), "b": SigningIn()})
        m.flush()
        with opening.use() as provider:
            assert provider.get(SessionService).user == ADA


def test_a_malformed_refresh_answer_keeps_the_session_and_retries() -> None:
    with marbles() as m:
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 60)
        api = FakeApi(refresh=[m.cold("a|", {"a": "not tokens"}), fresh])
        policy = RefreshPolicy(first_retry=1, jitter=0)
        tokens = Tokens(Secret(ACCESS), Secret(REFRESH), 60)
        session = signed_in(m, api, tokens, {RefreshPolicy: policy})
        first = session.refresh()
        m.advance("1s")

        with pytest.raises(AuthProtocolError, match="neither Tokens nor"):
            first.use()
        assert session.state == Authenticated()
        assert session.access_token().value == Secret("access-2")


def test_an_application_can_end_a_session_as_revoked() -> None:
    with marbles() as m:
        session = open_session(m, FakeApi(sign_out=None), ADA)
        m.expect(session.events).to_be(
            "o", {"o": SessionEvent("SIGNED_OUT", user=ADA, reason="revoked")}
        )
        session.sign_out(reason="revoked")


def test_a_coroutine_answer_without_a_running_loop_is_a_clear_error() -> None:
    class CoroutineApi(FakeApi):
        async def _later(self) -> User:
            return ADA

        def sign_in(self, credentials: Credentials) -> Any:
            return self._later()

    with marbles() as m:
        session = open_session(m, CoroutineApi())
        attempt = session.sign_in(Credentials("ada", PASSWORD))

    assert isinstance(session.state, SessionError)
    assert "no asyncio loop is running" in session.state.error
    with pytest.raises(RuntimeError, match="answered with an awaitable"):
        attempt.use()


def test_callers_during_a_backoff_wait_for_the_scheduled_retry() -> None:
    with marbles() as m:
        down = AuthUnavailableError("down")
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 60)
        api = FakeApi(refresh=[m.cold("#", error=down), m.cold("a|", {"a": fresh})])
        policy = RefreshPolicy(lead=0, first_retry=1, jitter=0)
        tokens = Tokens(Secret(ACCESS), Secret(REFRESH), 60)
        session = signed_in(m, api, tokens, {RefreshPolicy: policy})

        m.advance("60500ms")  # the refresh at 60 s failed; the retry is at 61 s
        waiting = [session.access_token() for _ in range(5)]
        assert len({id(w) for w in waiting}) == 1
        assert waiting[0].status == "pending"
        assert api.requests.count("refresh") == 1

        m.advance("500ms")
        assert waiting[0].value == Secret("access-2")
        assert api.requests.count("refresh") == 2


def test_an_explicit_refresh_during_a_backoff_sends_the_retry_now() -> None:
    with marbles() as m:
        down = AuthUnavailableError("down")
        fresh = Tokens(Secret("access-2"), Secret("refresh-2"), 60)
        api = FakeApi(refresh=[m.cold("#", error=down), m.cold("a|", {"a": fresh})])
        policy = RefreshPolicy(lead=0, first_retry=10, jitter=0)
        tokens = Tokens(Secret(ACCESS), Secret(REFRESH), 60)
        session = signed_in(m, api, tokens, {RefreshPolicy: policy})

        m.advance("61s")
        waiting = session.access_token()
        now = session.refresh()
        m.advance(1)

        assert now is waiting
        assert now.value == Secret("access-2")
        m.advance("20s")
        assert api.requests.count("refresh") == 2


def test_the_guide_pattern_hands_restored_tokens_to_the_session_once() -> None:
    with marbles() as m:
        tokens = Tokens(Secret(ACCESS), Secret(REFRESH), 60)
        api = FakeApi(authenticate=AuthSession(ADA, tokens))
        app = m.provider([AuthenticatorService], {AuthApi: api})
        user = app.get(AuthenticatorService).authenticate().use()

        other_api = m.provider([SessionService], {USER: user, AuthApi: FakeApi()})
        first = m.provider([SessionService], {USER: user}, parent=app)
        second = m.provider([SessionService], {USER: user}, parent=app)

        assert other_api.get(SessionService).access_token().value is None
        assert first.get(SessionService).access_token().value == Secret(ACCESS)
        assert second.get(SessionService).access_token().value is None


def test_the_api_may_answer_with_a_suspense() -> None:
    with marbles() as m:
        api = FakeApi(
            sign_in=[
                Suspense.reject(AuthRejectedError("Wrong password.")),
                Suspense.resolve(ADA),
            ]
        )
        session = open_session(m, api)
        session.sign_in(Credentials("ada", "nope"))
        assert session.state == SessionError("Wrong password.")
        session.sign_in(Credentials("ada", PASSWORD))
        assert (session.state, session.user) == (Authenticated(), ADA)
