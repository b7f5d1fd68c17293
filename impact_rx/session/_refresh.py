"""When a session renews its tokens, and how it retries when it cannot.

A session whose tokens expire refreshes them ``lead`` seconds before they
do (but never before half of their lifetime has passed, so short-lived
tokens are not refreshed in a loop). A refresh that fails because the
server could not be reached keeps the session and retries after a capped,
exponentially growing delay with jitter, so a fleet of clients that lost the
same server does not come back in lockstep:

>>> from random import Random
>>> policy = RefreshPolicy(lead=30, first_retry=1, max_retry=8, jitter=0.5)
>>> policy.refresh_delay(3600), policy.refresh_delay(40), policy.refresh_delay(0)
(3570.0, 20.0, 0.0)
>>> rng = Random(6)
>>> [round(policy.retry_delay(n, rng), 2) for n in range(6)]
[0.6, 1.18, 3.03, 6.95, 8.0, 5.35]
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import final

__all__ = ["RefreshPolicy"]


@final
@dataclass(frozen=True, kw_only=True, slots=True)
class RefreshPolicy:
    """How a ``SessionService`` keeps its tokens fresh.

    Attributes:
        lead: Seconds before expiry at which to refresh.
        first_retry: Seconds before the first retry of a failed refresh.
        max_retry: The cap on the retry delay, in seconds.
        jitter: The fraction of each retry delay drawn at random: ``0.5``
            waits between half and all of the delay, ``0`` exactly it.

    Raises:
        ValueError: A duration is negative or ``jitter`` is outside 0..1.
    """

    lead: float = 30.0
    first_retry: float = 1.0
    max_retry: float = 60.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        for name in ("lead", "first_retry", "max_retry"):
            if getattr(self, name) < 0:
                raise ValueError(
                    f"RefreshPolicy.{name} must be at least 0 seconds,"
                    f" got {getattr(self, name)!r}."
                )
        if not 0 <= self.jitter <= 1:
            raise ValueError(
                f"RefreshPolicy.jitter must be between 0 and 1, got {self.jitter!r}."
                " Use 0 for no jitter."
            )

    def refresh_delay(self, expires_in: float) -> float:
        """Seconds from issuance until tokens valid for ``expires_in`` refresh."""
        if expires_in <= 0:
            return 0.0
        return float(max(expires_in - self.lead, expires_in / 2))

    def retry_delay(self, attempt: int, rng: Random) -> float:
        """Seconds to wait before retry number ``attempt`` (from 0)."""
        delay = min(self.max_retry, self.first_retry * 2.0 ** min(attempt, 64))
        return delay * (1 - self.jitter * rng.random())
