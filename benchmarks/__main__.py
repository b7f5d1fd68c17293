"""``python -m benchmarks``: run the scenarios, print the table, write JSON."""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ._harness import (
    NotAvailable,
    Result,
    Scenario,
    Settings,
    environment,
    render_table,
    run_scenario,
    verify_case,
    write_json,
)
from .scenarios import select

RESULTS = Path(__file__).resolve().parent / "results"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="impact_rx against raw reactivex, reaktiv, observ and psygnal.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="5 rounds of ~2 ms and 10k objects for memory: seconds, not minutes",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SCENARIO",
        help="a key (a..i, f1, f2) or name (diamond, chain, ...); repeat or"
        " separate with commas",
    )
    parser.add_argument("--json", type=Path, help="where to write the JSON results")
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 21)")
    parser.add_argument(
        "--batch-ms", type=float, help="batch length in ms (default 10)"
    )
    parser.add_argument(
        "--clock",
        choices=["wall", "thread"],
        default="wall",
        help="wall: time.perf_counter_ns (default); thread: this thread's CPU"
        " time, which ignores time other processes take on a busy machine",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the table, profile impact_rx on the timed scenarios",
    )
    return parser.parse_args(argv)


def _settings(args: argparse.Namespace) -> Settings:
    base = (
        Settings(rounds=5, batch_ms=2.0, memory_objects=10_000)
        if args.quick
        else (Settings())
    )
    return Settings(
        rounds=args.rounds or base.rounds,
        batch_ms=args.batch_ms or base.batch_ms,
        memory_objects=base.memory_objects,
        verify_steps=base.verify_steps,
        clock=args.clock,
    )


def _profile(scenarios: list[Scenario], seconds: float = 1.0) -> str:
    """cProfile of impact_rx's cases, top functions by own time."""
    out = io.StringIO()
    for scenario in scenarios:
        if scenario.kind != "time":
            continue
        for case in scenario.cases:
            if not case.impl.startswith("impact_rx"):
                continue
            try:
                fixture = case.build()
                verify_case(case, fixture, 1)
            except NotAvailable:
                continue
            profiler = cProfile.Profile()
            deadline = time.perf_counter() + seconds
            steps = 0
            profiler.enable()
            while time.perf_counter() < deadline:
                fixture.step()
                steps += 1
            profiler.disable()
            if fixture.close is not None:
                fixture.close()
            out.write(f"\n### {scenario.key} {scenario.title}: {case.impl}")
            out.write(f" ({steps} steps under cProfile)\n\n```\n")
            stats = pstats.Stats(profiler, stream=out)
            stats.strip_dirs().sort_stats("tottime").print_stats(12)
            out.write("```\n")
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; returns the process exit status."""
    args = _parse(argv)
    names = [n.strip() for arg in args.only for n in arg.split(",") if n.strip()]
    try:
        scenarios = select(names)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    settings = _settings(args)
    env = environment()

    results: list[Result] = []
    started = time.perf_counter()
    for scenario in scenarios:
        print(f"running {scenario.key} {scenario.title} ...", file=sys.stderr)
        results.extend(run_scenario(scenario, settings))
    elapsed = time.perf_counter() - started

    machine = env["machine"]
    print(
        f"impact_rx benchmarks, {env['date']}, {machine['cpu']} ({machine['cpus']}"
        f" CPUs), {machine['platform']}, Python {env['python']},"
        f" impact_rx at {env['commit'] or 'an unknown commit'};"
        f" {settings.rounds} rounds of ~{settings.batch_ms:g} ms ({settings.clock}"
        " clock), medians;"
        f" {elapsed:.0f} s\n"
    )
    print(render_table(results))

    path = args.json or RESULTS / f"bench-{env['date'].replace(':', '')}.json"
    write_json(path, results, settings, {**env, "elapsed_s": round(elapsed, 1)})
    print(f"\nJSON: {path}")

    if args.profile:
        print(_profile(scenarios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
