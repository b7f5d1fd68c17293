"""The public names of impact_rx.testing."""

from __future__ import annotations

import impact_rx.testing as testing


def test_the_public_names_are_sorted_and_pinned() -> None:
    assert testing.__all__ == sorted(testing.__all__)
    assert testing.__all__ == [
        "ColdObservable",
        "Diagram",
        "Expectation",
        "HotObservable",
        "InnerRecording",
        "Labeler",
        "Lane",
        "MarbleAssertionError",
        "MarbleScheduler",
        "Marbles",
        "Record",
        "SubscriptionLog",
        "SubscriptionsExpectation",
        "fulfilled",
        "marbles",
        "pending",
        "record",
        "rejected",
        "suspense_values",
        "to_marbles",
    ]


def test_every_export_reports_the_public_module() -> None:
    for name in testing.__all__:
        assert getattr(testing, name).__module__ == "impact_rx.testing", name
