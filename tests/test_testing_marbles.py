"""marbles(): cold, hot, expect/to_be, subscriptions, flush and advance."""

from __future__ import annotations

import gc
import warnings
from datetime import timedelta
from typing import Any

import pytest
import reactivex
from reactivex import operators as ops

from impact_rx import MarbleSyntaxError
from impact_rx.session import Authenticated
from impact_rx.testing import MarbleAssertionError, MarbleScheduler, marbles


def test_a_cold_observable_plays_its_diagram_from_the_subscription() -> None:
    with marbles() as m:
        m.expect(m.cold("-a-b-|")).to_be("-a-b-|")


def test_values_and_errors_are_looked_up() -> None:
    with marbles() as m:
        source = m.cold("-a-#", values={"a": 1}, error=ValueError("bad"))
        m.expect(source).to_be("-x-#", values={"x": 1}, error=ValueError("bad"))


def test_an_unknown_value_character_stands_for_itself() -> None:
    with marbles() as m:
        m.expect(m.cold("ab|", values={"a": 1})).to_be("xb|", values={"x": 1})


def test_an_operator_pipeline_runs_on_virtual_time() -> None:
    with marbles() as m:
        source = m.cold("-a-b-c|", values={"a": 1, "b": 2, "c": 3})
        doubled = source.pipe(ops.map(lambda v: v * 2), ops.filter(lambda v: v > 2))
        m.expect(doubled).to_be("---b-c|", values={"b": 4, "c": 6})


def test_a_hot_observable_delivers_only_what_happens_after_subscribing() -> None:
    with marbles() as m:
        source = m.hot("-a-^-b-c-|")
        m.expect(source).to_be("--b-c-|")


def test_a_hot_observable_without_caret_starts_at_its_first_character() -> None:
    with marbles() as m:
        m.expect(m.hot("a-b|")).to_be("a-b|")


def test_a_late_subscriber_to_a_hot_observable_sees_only_later_events() -> None:
    with marbles() as m:
        source = m.hot("a-b-c|")
        m.advance(2)
        m.expect(source).to_be("--c|")


def test_a_late_subscriber_to_a_completed_hot_observable_gets_the_completion() -> None:
    with marbles() as m:
        source = m.hot("a|")
        m.advance(5)
        m.expect(source).to_be("|")


def test_a_group_emits_in_one_frame_and_spans_its_characters() -> None:
    with marbles() as m:
        m.expect(m.cold("-(ab)-c|")).to_be("-(ab)-c|")
        m.expect(m.cold("-(ab)-c|")).to_be("-(ab) 1ms c|")


def test_a_time_progression_advances_that_many_frames() -> None:
    with marbles() as m:
        m.expect(m.cold("a 9ms b|")).to_be("a---------b|")
        m.expect(m.cold("a 1.5s b")).to_be("a 1500ms b")
        m.expect(m.cold(" 2m a")).to_be("120000f a")


def test_spaces_only_align() -> None:
    with marbles() as m:
        m.expect(m.cold("  a - b  |")).to_be("a-b|")


def test_a_scheduler_timer_in_seconds_fires_whole_frames_later() -> None:
    with marbles() as m:
        timer = reactivex.timer(2.0, scheduler=m.scheduler).pipe(ops.map(lambda _: "t"))
        m.expect(timer).to_be("2s (t|)")


def test_an_interval_does_not_stop_flush_from_returning() -> None:
    with marbles() as m:
        ticks = reactivex.interval(0.01, scheduler=m.scheduler)
        m.expect(ticks).to_be("10ms a 9ms b 9ms c", values={"a": 0, "b": 1, "c": 2})
    assert m.scheduler.frame == 30


def test_the_expectation_subscribes_at_the_current_frame() -> None:
    with marbles() as m:
        m.advance("5ms")
        expectation = m.expect(m.cold("-a|"))
        expectation.to_be("-a|")
    assert expectation.subscribed_at == 5
    assert [r.frame for r in expectation.records] == [1, 2]


def test_an_exclamation_mark_unsubscribes_at_the_start_of_its_frame() -> None:
    with marbles() as m:
        source = m.cold("-a-b-c-|")
        m.expect(source).to_be("-a-!")
        m.expect_subscriptions(source.subscriptions).to_be("^--!")


def test_subscriptions_record_each_subscriber() -> None:
    with marbles() as m:
        source = m.cold("--a--|")
        merged = reactivex.concat(source, source)
        m.expect(merged).to_be("--a----a--|")
        m.expect_subscriptions(source.subscriptions).to_be("^----!", "-----^----!")


def test_subscription_diagrams_may_come_as_one_list_as_in_rxjs() -> None:
    with marbles() as m:
        source = m.cold("--a--|")
        m.expect(reactivex.concat(source, source)).to_be("--a----a--|")
        m.expect_subscriptions(source.subscriptions).to_be(["^----!", "-----^----!"])


def test_a_subscription_diagram_that_is_no_text_is_refused() -> None:
    with marbles() as m:
        check = m.expect_subscriptions(m.cold("-|").subscriptions)
        with pytest.raises(TypeError, match="takes diagrams as strings, got int"):
            check.to_be(3)  # type: ignore[arg-type]
        check.to_be()


@pytest.mark.parametrize(
    ("passed", "kind"),
    [(Authenticated(), "Authenticated"), ([1, 2, 3], "list"), (None, "NoneType")],
    ids=["a-state", "a-list", "none"],
)
def test_expecting_what_is_no_observable_names_it_and_points_at_signal_of(
    passed: Any, kind: str
) -> None:
    with (
        marbles() as m,
        pytest.raises(
            TypeError,
            match=rf"^marbles\(\)\.expect\(\) takes an Observable, got {kind}\."
            r" To watch a descriptor signal such as session\.state, pass its"
            r' stream: signal_of\(obj, "name"\)\.',
        ),
    ):
        m.expect(passed)  # the block's flush fails if it was kept


@pytest.mark.parametrize("diagram", [["-a|"], b"-a|", 3])
def test_a_diagram_that_is_no_text_is_a_type_error_naming_the_call(
    diagram: Any,
) -> None:
    kind = type(diagram).__name__
    with marbles() as m:
        pending = m.expect(m.cold("a|"))
        for call, build in [
            ("cold", lambda: m.cold(diagram)),
            ("hot", lambda: m.hot(diagram)),
            ("expected", lambda: pending.to_be(diagram)),
            ("subscription", lambda: m.expect(m.cold("a|"), diagram)),
            ("time", lambda: m.time(diagram)),
        ]:
            with pytest.raises(
                TypeError,
                match=rf"^The {call} diagram must be a string of marbles,"
                rf" got {kind}\."
                r" Write it as text, such as '[-a-b^!|]+'\.$",
            ):
                build()
        pending.to_be("a|")


def test_values_that_are_no_mapping_are_a_type_error() -> None:
    with (
        marbles() as m,
        pytest.raises(
            TypeError,
            match=r"^The values of the cold diagram are a mapping from marble"
            r" characters to values, got list\. Write values=\{'a': 1\}\.$",
        ),
    ):
        m.cold("-a|", values=[1])  # type: ignore[arg-type]


def test_a_subscriber_still_listening_has_no_unsubscription() -> None:
    with marbles() as m:
        source = m.hot("--a--")
        m.expect(source).to_be("--a--")
        m.expect_subscriptions(source.subscriptions).to_be("^")


def test_subscriptions_are_counted_from_the_observable_creation() -> None:
    with marbles() as m:
        source = m.hot("-a-^-b-|")
        m.advance(2)
        m.expect(source).to_be("--|")
        m.expect_subscriptions(source.subscriptions).to_be("--^-!")


def test_a_failing_subscription_expectation_draws_both() -> None:
    m = marbles()
    source = m.cold("--a|")
    m.expect(source).to_be("--a|")
    m.expect_subscriptions(source.subscriptions).to_be("^--!", "^")
    with pytest.raises(MarbleAssertionError, match="subscriptions differ") as caught:
        m.flush()
    line = test_a_failing_subscription_expectation_draws_both.__code__.co_firstlineno
    assert str(caught.value) == (
        f"m.expect_subscriptions(...) at tests/test_testing_marbles.py:{line + 4}:\n"
        "The subscriptions differ from the expected ones"
        " (frames count from the observable's creation; one frame is 1 ms).\n"
        "  subscriber 1:\n"
        "  expected  ^--!\n"
        "  actual    ^--!\n"
        "  subscriber 2:\n"
        "  expected  ^\n"
        "  actual    (none)\n"
        "            ^"
    )


def test_a_failing_subscription_expectation_marks_the_frames_that_differ() -> None:
    m = marbles()
    source = m.cold("--a--b|")
    m.expect(source.pipe(ops.take(1)), "-^").to_be("---(a|)")
    m.expect_subscriptions(source.subscriptions).to_be("^-!")
    with pytest.raises(MarbleAssertionError, match="subscriptions differ") as caught:
        m.flush()
    assert str(caught.value).splitlines()[2:] == [
        "  expected  ^-!",
        "  actual    -^-!",
        "            ^^^^",
    ]


def test_time_measures_up_to_the_completion() -> None:
    with marbles() as m:
        assert m.time("---|") == 3
        assert m.time("1.5s |") == 1500


def test_time_needs_a_completion() -> None:
    with marbles() as m, pytest.raises(MarbleSyntaxError, match=r"has no '\|'"):
        m.time("---")


def test_flush_checks_and_can_run_again() -> None:
    with marbles() as m:
        m.expect(m.cold("-a|")).to_be("-a|")
        m.flush()
        assert m.scheduler.frame == 2
        m.expect(m.cold("-b|")).to_be("-b|")
        m.flush()
        assert m.scheduler.frame == 4


def test_advance_accepts_frames_progressions_and_timedeltas() -> None:
    with marbles() as m:
        m.advance(3)
        m.advance("1.5s")
        m.advance(timedelta(seconds=1))
        assert m.scheduler.frame == 2503


def test_advance_refuses_negative_spans_and_bad_text() -> None:
    with marbles() as m:
        with pytest.raises(ValueError, match="only moves forward"):
            m.advance(-1)
        with pytest.raises(MarbleSyntaxError, match="'soon' is not a time progression"):
            m.advance("soon")


def test_flush_runs_only_up_to_the_end_of_the_diagrams() -> None:
    seen: list[int] = []
    with marbles() as m:
        reactivex.timer(1.0, scheduler=m.scheduler).subscribe(
            lambda _: seen.append(m.scheduler.frame)
        )
        m.expect(m.cold("--a|")).to_be("--a|")
        m.flush()
        assert seen == []
        m.advance("1s")
    assert seen == [1000]


def test_an_expectation_without_to_be_fails_at_the_end() -> None:
    m = marbles()
    m.expect(m.cold("a|"))
    with pytest.raises(MarbleAssertionError, match=r"never given a diagram"):
        m.__exit__(None, None, None)


def test_to_be_twice_is_refused() -> None:
    with marbles() as m:
        expectation = m.expect(m.cold("a|"))
        expectation.to_be("a|")
        with pytest.raises(RuntimeError, match=r"to_be\(\) was already called"):
            expectation.to_be("a|")


def test_an_error_in_the_block_skips_the_checks() -> None:
    with pytest.raises(KeyError, match="boom"), marbles() as m:
        m.expect(m.cold("a|")).to_be("b|")
        raise KeyError("boom")


def test_leaving_the_block_unsubscribes_the_expectations() -> None:
    with marbles() as m:
        source = m.hot("-a-b-c-d")
        m.expect(source).to_be("-a-b-c-d")
    assert source.subscriptions[0].unsubscribed == 7


def test_the_scheduler_is_a_marble_scheduler() -> None:
    with marbles() as m:
        assert isinstance(m.scheduler, MarbleScheduler)


def test_a_finished_block_refuses_more_work() -> None:
    with marbles() as m:
        m.expect(m.cold("a|")).to_be("a|")
    with pytest.raises(RuntimeError, match=r"This marbles\(\) block has ended"):
        m.cold("a|")
    with pytest.raises(RuntimeError, match=r"block has ended"):
        m.advance(1)


def test_a_hot_diagram_aligns_with_its_expectation_through_caret() -> None:
    with marbles() as m:
        source = m.hot("--a-^-b-c-|")
        m.expect(source).to_be("----^-b-c-|")
        m.expect(source).to_be("    ^-b-c-|")


def test_expectations_made_later_count_from_their_own_subscription() -> None:
    with marbles() as m:
        source = m.hot("-a-b-c-|")
        first = m.expect(source)
        first.to_be("-a-b-c-|")
        m.advance(2)
        m.expect(source).to_be("-b-c-|")


def test_a_cold_observable_subscribed_late_by_an_operator_extends_the_flush() -> None:
    with marbles() as m:
        inner = m.cold("---x|")
        outer = m.hot("-a---|").pipe(ops.concat_map(lambda _: inner))
        m.expect(outer).to_be("----x|")


def test_time_operators_land_on_exact_frames() -> None:
    with marbles() as m:
        failing = m.cold("-a-#", error=ValueError("x"))
        m.expect(failing.pipe(ops.retry(3))).to_be("-a--a--a-#", error=ValueError("x"))
        m.expect(m.cold("-a-b-c|").pipe(ops.delay(0.005))).to_be("------a-b-c|")
        m.expect(m.hot("-a--b---c|").pipe(ops.debounce(0.002))).to_be("---a--b--(c|)")
        m.expect(reactivex.never().pipe(ops.timeout(timedelta(milliseconds=20)))).to_be(
            "20ms #", error=Exception("Timeout")
        )


def test_a_run_of_characters_is_one_value_per_frame() -> None:
    with marbles() as m:
        m.expect(m.cold("abc|")).to_be("a b c |")
        m.expect(m.cold("abc|").pipe(ops.to_list())).to_be(
            "---(x|)", values={"x": ["a", "b", "c"]}
        )


def test_inner_observables_match_cold_diagrams_from_their_emission() -> None:
    with marbles() as m:
        windows = m.hot("-a-b-c-d|").pipe(ops.window_with_count(2))
        m.expect(windows).to_be(
            "x--y---z|",
            values={"x": m.cold("-a-(b|)"), "y": m.cold("--c-(d|)"), "z": m.cold("-|")},
        )


def test_a_differing_inner_observable_is_drawn_in_the_table() -> None:
    m = marbles()
    windows = m.hot("-a-b-c-d|").pipe(ops.window_with_count(2))
    m.expect(windows).to_be(
        "x--y---z|",
        values={"x": m.cold("-a-(b|)"), "y": m.cold("--c-d|"), "z": m.cold("-|")},
    )
    with pytest.raises(MarbleAssertionError, match="differ") as caught:
        m.flush()
    assert str(caught.value).endswith(
        "  expected  x--y---z|\n"
        "  actual    x--a---z|\n"
        "               ^\n"
        "  frame 3: expected y = <ColdObservable '--c-d|'>;"
        " actual a = <inner '--c-(d|)'>"
    )


def test_without_cold_values_emitted_observables_compare_by_identity() -> None:
    inner = reactivex.never()
    with marbles() as m:
        m.expect(reactivex.just(inner)).to_be("(x|)", values={"x": inner})


def test_an_endless_repeat_of_a_cold_observable_ends_the_flush_with_advice() -> None:
    m = marbles()
    with pytest.raises(RuntimeError, match=r"(?s)ColdObservable '-a\|'.*repeat"), m:
        m.expect(m.cold("-a|").pipe(ops.repeat())).to_be("-a-a-a-a")
    assert m.scheduler.frame < 10_000


def test_an_endless_retry_of_a_cold_observable_ends_the_flush_with_advice() -> None:
    with pytest.raises(RuntimeError, match=r"grew .* times"), marbles() as m:
        m.expect(m.cold("-#").pipe(ops.retry())).to_be("------")


def test_a_long_but_finite_repeat_past_the_diagrams_gets_advice_that_fits_it() -> None:
    with (
        pytest.raises(RuntimeError, match=r"or more than that many times past"),
        marbles() as m,
    ):
        m.expect(m.cold("-a|").pipe(ops.repeat(1_200))).to_be("-a-a")


def test_an_endless_repeat_checked_up_to_an_unsubscription_passes() -> None:
    with marbles() as m:
        m.expect(m.cold("-a|").pipe(ops.repeat())).to_be("-a-a-a-a!")
        m.expect(m.cold("-#").pipe(ops.retry()), "^-----!").to_be("------")
    assert m.scheduler.frame == 8


def test_a_hot_group_may_hold_the_subscription_point() -> None:
    with marbles() as m:
        m.expect(m.hot("-a-(^b)-c|")).to_be("b----c|")


def test_the_default_error_matches_itself() -> None:
    with marbles() as m:
        m.expect(m.cold("--#")).to_be("--#")


class _Elementwise:
    """Compares like a numpy array: ``==`` gives one truth per element."""

    def __init__(self, *items: int) -> None:
        self.items = items

    def __eq__(self, other: object) -> Any:
        theirs = other.items if isinstance(other, _Elementwise) else ()
        return _Truths([a == b for a, b in zip(self.items, theirs, strict=False)])

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"_Elementwise{self.items}"


class _Truths(list[bool]):
    def __bool__(self) -> bool:
        raise ValueError("The truth value of an array is ambiguous.")

    def all(self) -> bool:
        return all(self)


def test_values_compared_element_by_element_match_when_every_element_does() -> None:
    with marbles() as m:
        m.expect(reactivex.of(_Elementwise(1, 2))).to_be(
            "(a|)", values={"a": _Elementwise(1, 2)}
        )

    differ = r"expected a = _Elementwise\(1, 3\)"
    with pytest.raises(MarbleAssertionError, match=differ), marbles() as m:
        m.expect(reactivex.of(_Elementwise(1, 2))).to_be(
            "(a|)", values={"a": _Elementwise(1, 3)}
        )


def test_a_value_that_is_not_equal_to_itself_still_matches_itself() -> None:
    nan = float("nan")
    with marbles() as m:
        m.expect(reactivex.of(nan)).to_be("(a|)", values={"a": nan})


def test_a_subscription_diagram_given_to_expect_ends_it_at_its_bang_as_in_rxjs() -> (
    None
):
    with marbles() as m:
        forever = reactivex.interval(0.001).pipe(ops.map(lambda _: "a"))
        m.expect(forever, "------!").to_be("-aaaaa")


def test_a_subscription_diagram_given_to_expect_starts_it_at_its_caret() -> None:
    with marbles() as m:
        source = m.hot("--a--b--c--d|")
        m.expect(source, "---^---!").to_be("-----b")
        m.expect_subscriptions(source.subscriptions).to_be("---^---!")


def test_a_late_subscription_is_named_in_the_failure() -> None:
    with (
        pytest.raises(
            MarbleAssertionError,
            match=r"Frame 0 is virtual frame 0; it subscribed at frame 3 \(\^\);",
        ) as caught,
        marbles() as m,
    ):
        m.expect(m.hot("--a--b--c--d|"), "---^---!").to_be("-----c")
    assert "  actual    ---^-b-!" in str(caught.value)


def test_a_broken_subscription_diagram_for_expect_names_its_own_column() -> None:
    with marbles() as m:
        with pytest.raises(MarbleSyntaxError, match=r"column 2") as caught:
            m.expect(m.cold("-|"), "--x!")
        assert caught.value.column == 2
        m.expect(m.cold("-|")).to_be("-|")


def test_a_marbles_test_dropped_with_unchecked_expectations_warns() -> None:
    m = marbles()
    m.expect(m.cold("-a|")).to_be("-b|")

    with pytest.warns(RuntimeWarning, match=r"1 expectation\(s\) never checked"):
        del m
        gc.collect()


def test_a_flushed_marbles_test_without_with_does_not_warn() -> None:
    m = marbles()
    m.expect(m.cold("-a|")).to_be("-a|")
    m.flush()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        del m
        gc.collect()


def _session_under_test(m: Any, api_sign_in: Any) -> Any:
    from impact_rx.session import USER, AuthApi, SessionService, User

    class FakeApi:
        def __init__(self, sign_in: Any) -> None:
            self._sign_in = sign_in

        def authenticate(self) -> None:
            return None

        def sign_in(self, credentials: Any) -> Any:
            return self._sign_in

        def sign_out(self) -> None:
            return None

    api = FakeApi(api_sign_in(User("1", "Ada")))
    return m.provider(services=[SessionService], values={USER: None, AuthApi: api}).get(
        SessionService
    )


def test_a_cold_subscribed_at_the_last_frame_of_the_diagrams_still_plays() -> None:
    from impact_rx import signal_of
    from impact_rx.session import Credentials, SigningIn

    m = marbles()
    with pytest.raises(MarbleAssertionError, match=r"frame 3: expected nothing"), m:
        session = _session_under_test(m, lambda ada: m.cold("--a|", {"a": ada}))
        _ = m.hot("-s").subscribe(lambda _: session.sign_in(Credentials("ada", "pw")))
        m.expect(signal_of(session, "state")).to_be(
            "ab", {"a": Authenticated(), "b": SigningIn()}
        )
    assert m.scheduler.frame == 4  # the cold completes at 1 + 3


def test_trailing_frames_of_a_hot_diagram_count_toward_the_horizon() -> None:
    seen: list[int] = []
    with marbles() as m:
        hot = m.hot("-a---")
        reactivex.timer(0.003, scheduler=m.scheduler).subscribe(
            lambda _: seen.append(m.scheduler.frame)
        )
        m.expect(hot).to_be("-a")
    assert m.scheduler.frame == 4
    assert seen == [3]


def test_trailing_time_of_a_hot_diagram_counts_toward_the_horizon() -> None:
    with marbles() as m:
        m.hot("a 10ms")
    assert m.scheduler.frame == 10


def test_trailing_frames_of_a_cold_diagram_count_toward_the_horizon() -> None:
    with marbles() as m:
        m.expect(m.cold("a 5ms")).to_be("a")
    assert m.scheduler.frame == 5


def test_colds_chained_at_the_horizon_extend_it_until_it_stops_growing() -> None:
    seen: list[tuple[int, str]] = []
    with marbles() as m:
        chain = reactivex.concat(m.cold("--a|"), m.cold("--b|"), m.cold("-c|"))
        chain.subscribe(lambda v: seen.append((m.scheduler.frame, v)))
    assert seen == [(2, "a"), (5, "b"), (7, "c")]
    assert m.scheduler.frame == 8


def test_time_stopping_is_not_blamed_for_frames_missing_before_it() -> None:
    m = marbles()
    late = reactivex.timer(0.010, scheduler=m.scheduler).pipe(ops.map(lambda _: "a"))
    m.expect(late).to_be("-a---")
    with pytest.raises(MarbleAssertionError, match="frame 1: expected a") as caught:
        m.flush()
    assert "Virtual time stopped" not in str(caught.value)


def test_time_stopping_is_named_for_frames_missing_at_or_after_it() -> None:
    m = marbles()
    late = reactivex.timer(0.010, scheduler=m.scheduler).pipe(ops.map(lambda _: "a"))
    m.expect(late).to_be("-a--b")
    with pytest.raises(MarbleAssertionError, match="frame 1: expected a") as caught:
        m.flush()
    assert "Virtual time stopped at frame 4" in str(caught.value)


def test_trailing_frames_of_a_subscription_diagram_count_toward_the_horizon() -> None:
    with marbles() as m:
        m.expect(m.cold("a"), "^---- 5ms").to_be("a")
    assert m.scheduler.frame == 9


def test_an_interval_subscribing_colds_cannot_grow_the_horizon_forever() -> None:
    with pytest.raises(RuntimeError, match=r"grew .* 1000 times"), marbles() as m:
        ticks = reactivex.interval(0.001, scheduler=m.scheduler)
        ticks.pipe(ops.flat_map(lambda _: m.cold("-----a|"))).subscribe()
        m.expect(m.cold("a|")).to_be("a|")


def test_a_cold_subscribed_now_after_advancing_past_every_diagram_plays() -> None:
    # The horizon lagged behind the clock: a cold subscribed at the current
    # frame counted as subscribed after the end, so it never played.
    seen: list[tuple[int, str]] = []
    with marbles() as m:
        m.expect(m.cold("-a|")).to_be("-a|")
        m.advance(100)
        source = m.cold("-b|")
        m.scheduler.schedule(
            lambda s, _: source.subscribe(lambda v: seen.append((m.scheduler.frame, v)))
        )
    assert seen == [(101, "b")]
