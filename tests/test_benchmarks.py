"""Smoke run of the benchmark code: correctness only, never timing.

Each scenario runs a few steps for every implementation; a case whose counts
or observable result are wrong, before or after its timing round, reports an
error, which fails here. Every piece of impact_rx has landed, so an impact_rx
or baseline row that says "n/a" (an export renamed, say) fails too.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks._harness import (
    Case,
    Expected,
    Fixture,
    NotAvailable,
    Result,
    Scenario,
    Settings,
    Tally,
    _calibrate,
    render_table,
    run_scenario,
    verify_case,
)
from benchmarks.scenarios import all_scenarios, select

TINY = Settings(rounds=1, batch_ms=0.2, memory_objects=200, verify_steps=3)

SCENARIOS = {s.key: s for s in all_scenarios()}


@cache
def _run(key: str) -> tuple[Result, ...]:
    """One tiny run per scenario, shared by the tests that read it."""
    return tuple(run_scenario(SCENARIOS[key], TINY))


@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_every_available_implementation_runs_each_scenario_correctly(
    key: str,
) -> None:
    results = _run(key)

    errors = {r.impl: r.error for r in results if r.error}
    assert errors == {}
    measured = [r for r in results if not r.na]
    assert all(r.value is not None and r.value > 0 for r in measured)
    baseline = next(r for r in results if r.impl == SCENARIOS[key].baseline)
    assert baseline.ratio == 1.0


# The peers' rows that cannot run, and why; any other "n/a" is a rotted case.
NOT_AVAILABLE = {
    "c": {"psygnal"},
    "d": {"psygnal"},
    "e": {"psygnal"},
    "f2": {"psygnal"},
    "g": {"reaktiv", "observ", "psygnal"},
    "h": {"reaktiv", "observ", "psygnal"},
    "i": {"reaktiv", "observ", "psygnal"},
}


@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_only_peers_without_the_concept_are_not_available(key: str) -> None:
    results = _run(key)

    assert {r.impl for r in results if r.na} == NOT_AVAILABLE.get(key, set())
    assert any(r.impl.startswith("impact_rx") for r in results)


@pytest.mark.parametrize(
    "key", sorted(k for k, s in SCENARIOS.items() if s.kind == "time")
)
def test_every_timed_case_states_counts_it_is_checked_against(key: str) -> None:
    cases = [
        c for c in SCENARIOS[key].cases if c.impl not in NOT_AVAILABLE.get(key, ())
    ]

    unchecked = [
        c.impl
        for c in cases
        if c.expected.recomputes is None and c.expected.delivered is None
    ]
    assert cases
    assert unchecked == []


def _diamond_counts() -> dict[str, tuple[float | None, float | None]]:
    results = _run("c")
    return {r.impl: (r.recomputes, r.glitches) for r in results if not r.na}


def test_the_raw_rx_diamond_recomputes_twice_and_glitches_once_per_write() -> None:
    counts = _diamond_counts()

    assert counts["reactivex combine_latest"] == (2, 1)


def test_the_glitch_free_diamonds_recompute_once_without_glitches() -> None:
    counts = _diamond_counts()

    glitch_free = {impl: c for impl, c in counts.items() if "combine" not in impl}
    assert glitch_free.keys() >= {"reaktiv", "observ"}
    assert set(glitch_free.values()) == {(1, 0)}


@pytest.mark.parametrize("key", ["d", "e"])
def test_every_derived_value_recomputes_once_per_write(key: str) -> None:
    results = _run(key)

    counted = {r.impl: r.recomputes for r in results if not r.na}
    assert set(counted.values()) == {1000}


def test_a_wrong_count_is_reported_as_the_cases_error() -> None:
    scenario = SCENARIOS["c"]
    rx = next(c for c in scenario.cases if c.impl == "reactivex combine_latest")
    glitch_free = next(c for c in scenario.cases if c.impl == "observ")
    mislabelled = type(rx)(rx.impl, rx.build, glitch_free.expected)

    checked = verify_case(mislabelled, mislabelled.build(), 2)

    assert checked.problems == (
        "recomputes per write: expected 1, got 2",
        "glitches per write: expected 0, got 1",
        "delivered per write: expected 1, got 2",
    )


def test_a_peer_without_the_concept_reports_not_available_with_a_reason() -> None:
    case = next(c for c in SCENARIOS["c"].cases if c.impl == "psygnal")

    with pytest.raises(NotAvailable, match="no derived values"):
        case.build()


def test_the_table_marks_targets_and_not_available_rows() -> None:
    rows = [
        Result("a", "write", "reactivex", "ns/op", 1000.0, ratio=1.0, baseline="x"),
        Result("a", "write", "impact_rx", "ns/op", 1400.0, ratio=1.4, target="≤ 1.5x"),
        Result("a", "write", "psygnal", "ns/op", na="events only"),
    ]
    rows[1].met = True

    table = render_table(rows).splitlines()

    assert table[3] == "| a write | impact_rx | 1.40 µs | 1.40x |  |  | ≤ 1.5x ✅ |"
    assert table[4] == "| a write | psygnal | n/a: events only |  |  |  |  |"


def test_only_selects_by_key_prefix_or_name_and_rejects_unknown_names() -> None:
    assert [s.key for s in select(["f"])] == ["f1", "f2"]
    assert [s.key for s in select(["diamond", "a"])] == ["a", "c"]
    with pytest.raises(ValueError, match=r"No scenario is called 'z'\. Known: a "):
        select(["z"])


def test_a_quick_run_prints_the_table_and_writes_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"

    status = main(
        [
            "--quick",
            "--rounds",
            "1",
            "--batch-ms",
            "0.2",
            "--only",
            "a",
            "--json",
            str(out),
        ]
    )

    assert status == 0
    printed = capsys.readouterr().out
    assert "| a write, 1 subscriber | reactivex |" in printed
    data = json.loads(out.read_text())
    assert set(data) >= {"date", "machine", "python", "packages", "results"}
    assert data["machine"]["cpu"]
    assert data["packages"]["reactivex"].startswith("6.")
    assert [r["impl"] for r in data["results"]][:2] == ["reactivex", "impact_rx"]


def test_a_case_that_stops_delivering_while_timed_is_reported_as_an_error() -> None:
    # Right for the checks before timing, then its subscriber "goes away":
    # a run that only checked before timing would report it as fast.
    tally = Tally()
    steps = [0]

    def step() -> None:
        steps[0] += 1
        if steps[0] <= TINY.verify_steps:
            tally.delivered += 1

    fading = Case("impact_rx", lambda: Fixture(step, tally), Expected(delivered=1))
    scenario = Scenario("z", "fading", "fading", (fading,), baseline="impact_rx")

    (result,) = run_scenario(scenario, TINY)

    assert result.error.startswith("delivered per write while timed: expected 1")


def test_one_slow_step_while_calibrating_does_not_shrink_the_batches() -> None:
    # A fake clock: each step costs 1 µs, except the first, which the process
    # spent descheduled for 5 ms (as on a busy shared machine).
    now = [0]
    costs = iter([5_000_000])

    def step() -> None:
        now[0] += next(costs, 1_000)

    n, ran = _calibrate(step, 10e6, lambda: now[0])

    assert n == 10_000
    assert ran == 3
