"""The measuring machinery: fixtures, interleaved timing, memory, reports.

A *scenario* (one of issue 9's (a) to (i)) holds one *case* per
implementation. A case builds a :class:`Fixture`: a zero-argument ``step``
that performs one operation (a write and whatever the scenario reads), a
:class:`Tally` the step's callbacks count into, and a ``check`` that says
whether the last step left the right observable result.

Timing is interleaved: every round times one batch of each case in turn
(rotating the order), so a slow neighbour or a frequency change hits every
implementation alike. Batches are sized to about ``batch_ms`` and the
reported time per operation is the median over rounds.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from itertools import repeat
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "Case",
    "Expected",
    "Fixture",
    "NotAvailable",
    "Result",
    "Scenario",
    "Settings",
    "Tally",
    "Target",
    "environment",
    "render_table",
    "run_scenario",
    "verify_case",
    "verify_timed",
]


class NotAvailable(Exception):
    """Raised by a case builder when its implementation cannot run the case.

    The message is the reason shown in the table's "n/a" row.
    """


@dataclass(slots=True)
class Tally:
    """Counters that a fixture's callbacks increment while steps run."""

    recomputes: int = 0
    glitches: int = 0
    delivered: int = 0

    def reset(self) -> None:
        """Zero every counter (after building, before counting steps)."""
        self.recomputes = 0
        self.glitches = 0
        self.delivered = 0


def _no_check() -> str | None:
    return None


@dataclass(slots=True)
class Fixture:
    """One implementation's built scenario.

    Attributes:
        step: performs one operation; its return value is ignored.
        tally: what the step's callbacks count.
        check: returns a description of what is wrong after the last step, or
            ``None`` when the observable result is right.
        recursion_limit: a higher limit the step needs (raw Rx chains recurse
            once per operator); the harness sets it only around this case.
        keep: references that must live as long as the fixture (effects,
            subscriptions, watchers held weakly by their library).
        close: undoes what building changed outside the fixture (a provider
            entered as the current one); called once, after measuring.
    """

    step: Callable[[], object]
    tally: Tally = field(default_factory=Tally)
    check: Callable[[], str | None] = _no_check
    recursion_limit: int | None = None
    keep: object = None
    close: Callable[[], object] | None = None


@dataclass(frozen=True, slots=True)
class Expected:
    """What one step must count, per write; ``None`` means not counted."""

    recomputes: float | None = None
    glitches: float | None = None
    delivered: float | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """Issue 9's target for impact_rx on one scenario.

    Attributes:
        text: how the table states the target.
        max_ratio: the largest ratio to the baseline that meets it.
        max_bytes: the largest size per object that meets it (memory).
        glitch_free: also require zero glitches and at most one recompute
            per write.
    """

    text: str
    max_ratio: float | None = None
    max_bytes: float | None = None
    glitch_free: bool = False


@dataclass(frozen=True, slots=True)
class Case:
    """One implementation of a scenario.

    Attributes:
        impl: the implementation's label in the table.
        build: makes a fresh fixture (timed scenarios), or, for memory
            scenarios, a callable ``make(n)`` returning ``n`` live objects.
            Raises :class:`NotAvailable` when it cannot run.
        expected: what the smoke test checks per write.
        note: shown after the value in the table.
    """

    impl: str
    build: Callable[[], Any]
    expected: Expected = Expected()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One of issue 9's scenarios, run for every implementation side by side."""

    key: str
    name: str
    title: str
    cases: tuple[Case, ...]
    baseline: str
    target: Target | None = None
    kind: Literal["time", "memory"] = "time"
    counts: tuple[Literal["recomputes", "glitches", "delivered"], ...] = ()
    memory_objects: int = 100_000


@dataclass(frozen=True, slots=True)
class Settings:
    """How hard to measure."""

    # Many short rounds rather than a few long ones: on a shared machine a
    # round's neighbouring batches see the same load, and the median of
    # per-round ratios shrugs off the rounds another process disturbed.
    rounds: int = 21
    batch_ms: float = 10.0
    memory_objects: int | None = None
    verify_steps: int = 5
    clock: Literal["wall", "thread"] = "wall"


@dataclass(slots=True)
class Result:
    """One row of the table."""

    scenario: str
    title: str
    impl: str
    unit: str
    value: float | None = None
    samples: list[float] = field(default_factory=list)
    ratio: float | None = None
    baseline: str = ""
    recomputes: float | None = None
    glitches: float | None = None
    delivered: float | None = None
    target: str = ""
    met: bool | None = None
    na: str = ""
    error: str = ""
    note: str = ""
    # Every count per write the check before timing saw (the table shows the
    # scenario's own), and the steps in each timed batch.
    verified: dict[str, float] = field(default_factory=dict)
    ops_per_batch: int | None = None


# --------------------------------------------------------------------------
# Verification (the smoke test's check, also run before every timing)


@dataclass(frozen=True, slots=True)
class Verification:
    """Counts per write after a few steps, and what went wrong if anything."""

    recomputes: float
    glitches: float
    delivered: float
    problems: tuple[str, ...]


def verify_case(case: Case, fixture: Fixture, steps: int) -> Verification:
    """Run ``steps`` counted steps and compare them with ``case.expected``."""
    fixture.tally.reset()
    problems: list[str] = []
    with _recursion_limit(fixture.recursion_limit):
        for _ in range(steps):
            fixture.step()
            wrong = fixture.check()
            if wrong is not None:
                problems.append(wrong)
                break
    return _compare(case, fixture.tally, steps, problems)


def _compare(
    case: Case, tally: Tally, steps: int, problems: list[str], when: str = ""
) -> Verification:
    """Counts per step of ``tally`` over ``steps``, against ``case.expected``."""
    per = (
        tally.recomputes / steps,
        tally.glitches / steps,
        tally.delivered / steps,
    )
    names = ("recomputes", "glitches", "delivered")
    for name, got in zip(names, per, strict=True):
        want = getattr(case.expected, name)
        if want is not None and got != want:
            problems.append(f"{name} per write{when}: expected {want:g}, got {got:g}")
    return Verification(*per, problems=tuple(problems))


def verify_timed(case: Case, fixture: Fixture, steps: int) -> tuple[str, ...]:
    """What went wrong during timing: counts over every timed step, last result.

    The check before timing ran a few steps; this one covers the thousands
    that were timed, so a subscriber collected mid-run or a write that stopped
    reaching its sink cannot pass for a fast implementation.
    """
    problems: list[str] = []
    wrong = fixture.check()
    if wrong is not None:
        problems.append(f"after timing: {wrong}")
    return _compare(case, fixture.tally, steps, problems, " while timed").problems


class _recursion_limit:
    """Raise the interpreter's recursion limit for one block, if asked."""

    def __init__(self, limit: int | None) -> None:
        self._limit = limit
        self._saved = sys.getrecursionlimit()

    def __enter__(self) -> None:
        self._saved = sys.getrecursionlimit()
        if self._limit is not None and self._limit > self._saved:
            sys.setrecursionlimit(self._limit)

    def __exit__(self, *exc: object) -> None:
        sys.setrecursionlimit(self._saved)


# --------------------------------------------------------------------------
# Timing


CLOCKS: dict[str, Callable[[], int]] = {
    "wall": time.perf_counter_ns,
    # CPU time of this thread: time spent descheduled while other processes
    # run does not count, which steadies runs on a busy shared machine.
    "thread": time.thread_time_ns,
}


def _time_batch(
    step: Callable[[], object], n: int, clock: Callable[[], int] = time.perf_counter_ns
) -> int:
    """Nanoseconds for ``n`` calls of ``step``, with the collector paused."""
    gc.collect()
    gc.disable()
    try:
        start = clock()
        for _ in repeat(None, n):
            step()
        return clock() - start
    finally:
        gc.enable()


def _calibrate(
    step: Callable[[], object], batch_ns: float, clock: Callable[[], int]
) -> tuple[int, int]:
    """How many steps make a batch of about ``batch_ns``, and how many it ran."""
    n, ran = 1, 0
    while True:
        elapsed = _time_batch(step, n, clock)
        ran += n
        if elapsed >= batch_ns / 4 or n >= 1 << 24:
            # One timing may include the process being descheduled (on a
            # shared 2-core machine a few ms at a time), which once sized a
            # 2 µs case's batches at 2 steps: the fastest of three is the
            # case's own cost.
            for _ in range(2):
                elapsed = min(elapsed, _time_batch(step, n, clock))
                ran += n
            return max(1, round(n * batch_ns / max(elapsed, 1))), ran
        n *= 2 if elapsed * 8 >= batch_ns else 8


@dataclass(slots=True)
class _Live:
    case: Case
    fixture: Fixture
    result: Result
    n: int = 1
    steps: int = 0  # every step run since the tally was last reset


def _prepare(scenario: Scenario, settings: Settings) -> list[Result | _Live]:
    """Build and verify every case; unavailable or broken ones become rows."""
    prepared: list[Result | _Live] = []
    for case in scenario.cases:
        result = Result(
            scenario=scenario.key,
            title=scenario.title,
            impl=case.impl,
            unit="ns/op",
            baseline=scenario.baseline,
            note=case.note,
        )
        try:
            fixture = case.build()
        except NotAvailable as exc:
            result.na = str(exc)
            prepared.append(result)
            continue
        except Exception as exc:  # a broken adapter must not stop the run
            result.error = f"build failed: {type(exc).__name__}: {exc}"
            prepared.append(result)
            continue

        try:
            checked = verify_case(case, fixture, settings.verify_steps)
        except Exception as exc:
            result.error = f"step failed: {type(exc).__name__}: {exc}"
            prepared.append(result)
            _close(fixture)
            continue
        for name in scenario.counts:
            setattr(result, name, getattr(checked, name))
        result.verified = {
            name: getattr(checked, name)
            for name in ("recomputes", "glitches", "delivered")
            if getattr(case.expected, name) is not None or name in scenario.counts
        }
        if checked.problems:
            result.error = "; ".join(checked.problems)
        prepared.append(_Live(case, fixture, result))
    return prepared


def _close(fixture: Fixture) -> None:
    if fixture.close is not None:
        fixture.close()


def _time_cases(live: list[_Live], settings: Settings) -> None:
    batch_ns = settings.batch_ms * 1e6
    clock = CLOCKS[settings.clock]

    # Freeze what the fixtures built, so the collection before each batch
    # only walks new garbage instead of every graph of the scenario.
    gc.collect()
    gc.freeze()
    try:
        for item in live:
            item.fixture.tally.reset()
            with _recursion_limit(item.fixture.recursion_limit):
                item.n, item.steps = _calibrate(item.fixture.step, batch_ns, clock)

        for round_ in range(settings.rounds):
            shift = round_ % len(live)
            for item in live[shift:] + live[:shift]:
                with _recursion_limit(item.fixture.recursion_limit):
                    elapsed = _time_batch(item.fixture.step, item.n, clock)
                item.steps += item.n
                item.result.samples.append(elapsed / item.n)
    finally:
        gc.unfreeze()

    for item in live:
        item.result.value = statistics.median(item.result.samples)
        item.result.ops_per_batch = item.n
        problems = verify_timed(item.case, item.fixture, item.steps)
        if problems:
            item.result.error = "; ".join(
                ([item.result.error] if item.result.error else []) + list(problems)
            )


def _measure_memory(scenario: Scenario, settings: Settings) -> list[Result]:
    n = settings.memory_objects or scenario.memory_objects
    results: list[Result] = []
    for case in scenario.cases:
        result = Result(
            scenario=scenario.key,
            title=scenario.title,
            impl=case.impl,
            unit="B/object",
            baseline=scenario.baseline,
            note=case.note,
        )
        results.append(result)
        try:
            make = case.build()
            make(10)  # warm caches and lazy imports outside the measurement
            result.value = _bytes_per_object(make, n)
        except NotAvailable as exc:
            result.na = str(exc)
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
    return results


def _bytes_per_object(make: Callable[[int], object], n: int) -> float:
    """Traced bytes still allocated per object after building ``n`` of them."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = make(n)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return (after - before) / n


def run_scenario(scenario: Scenario, settings: Settings) -> list[Result]:
    """Measure every case of ``scenario``; one result per case, in order."""
    if scenario.kind == "memory":
        results = _measure_memory(scenario, settings)
    else:
        prepared = _prepare(scenario, settings)
        live = [item for item in prepared if isinstance(item, _Live)]
        if live:
            _time_cases(live, settings)
        results = [
            item.result if isinstance(item, _Live) else item for item in prepared
        ]
        for item in live:
            _close(item.fixture)
        # Drop the fixtures (and their graphs) before the next scenario.
        del live, prepared
        gc.collect()

    _judge(scenario, results)
    return results


def _ratio(result: Result, base: Result) -> float | None:
    """The median of per-round ratios to the baseline.

    Both batches of a round ran back to back, so load that drifts across
    rounds (other processes on a shared machine) cancels out. Memory rows
    have no rounds: a plain ratio.
    """
    pairs = zip(result.samples, base.samples, strict=False)
    per_round = [mine / theirs for mine, theirs in pairs if theirs]
    if per_round and len(result.samples) == len(base.samples):
        return statistics.median(per_round)
    if result.value is None or not base.value:
        return None
    return result.value / base.value


def _judge(scenario: Scenario, results: list[Result]) -> None:
    base = next((r for r in results if r.impl == scenario.baseline), None)
    if base is None or base.error or not base.value:
        base = None
    for result in results:
        if result.value is not None and base is not None:
            result.ratio = _ratio(result, base)
        if scenario.target is None or not result.impl.startswith("impact_rx"):
            continue
        target = scenario.target
        result.target = target.text
        if result.value is None or result.error:
            result.met = False if result.error else None
            continue
        met = True
        if target.max_ratio is not None:
            met = result.ratio is not None and result.ratio <= target.max_ratio
        if target.max_bytes is not None:
            met = met and result.value <= target.max_bytes
        if target.glitch_free:
            met = met and result.glitches == 0 and (result.recomputes or 0) <= 1
        result.met = met


# --------------------------------------------------------------------------
# Reporting


def _format_time(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def _format_value(result: Result) -> str:
    if result.value is None:
        return "—"
    if result.unit == "B/object":
        return f"{result.value:.0f} B"
    return _format_time(result.value)


def _format_count(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def render_table(results: Iterable[Result]) -> str:
    """The markdown table of ``results``, one row per implementation."""
    lines = [
        "| scenario | implementation | median per op | ratio to baseline"
        " | recomputes/write"
        " | glitches/write | target |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if r.na:
            value, ratio = f"n/a: {r.na}", ""
        elif r.error:
            value, ratio = f"error: {r.error}", ""
        else:
            value = _format_value(r)
            if r.note:
                value += f" ({r.note})"
            ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
            if r.impl == r.baseline:
                ratio = "1x (baseline)"
        target = ""
        if r.target:
            mark = {True: "✅", False: "❌", None: "n/a"}[r.met]
            target = f"{r.target} {mark}"
        lines.append(
            f"| {r.scenario} {r.title} | {r.impl} | {value} | {ratio}"
            f" | {_format_count(r.recomputes)} | {_format_count(r.glitches)}"
            f" | {target} |"
        )
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def environment() -> dict[str, Any]:
    """Date, machine, Python and package versions, for the JSON and header."""
    packages = ("impact_rx", "reactivex", "injector", "reaktiv", "observ", "psygnal")
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "platform": platform.platform(),
            "cpu": _cpu_model(),
            "cpus": os.cpu_count(),
        },
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "packages": {name: _version(name) for name in packages},
        "commit": _git_commit(),
    }


def write_json(
    path: Path, results: Sequence[Result], settings: Settings, env: dict[str, Any]
) -> None:
    """Write the run to ``path`` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        **env,
        "settings": asdict(settings),
        "results": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
