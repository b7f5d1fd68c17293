"""Impact's session guide's session flow, run against a real authentication server.

``python -m impact_rx.demo`` (what ``make demo`` runs) starts
:class:`~impact_rx.demo.server.AuthServer` on loopback with a demo user and
prints every session state as it changes; :func:`main` runs the same from
Python and returns the exit status.

The server needs only the standard library: ``impact_rx.demo.server`` can be
imported, for tests and notebooks, without the ``http`` extra (``httpx``)
that the demo's client needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from .server import AuthServer

__all__ = ["DEMO_NAME", "DEMO_PASSWORD", "DEMO_USERNAME", "AuthServer", "main"]

DEMO_USERNAME = "ada"
DEMO_PASSWORD = "correct horse battery staple"
DEMO_NAME = "Ada Lovelace"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit status (see :mod:`impact_rx.demo._flow`).

    Args:
        argv: The command-line arguments, without the program name; by
            default ``sys.argv[1:]``.
    """
    from ._flow import main as run  # imports httpx, which is an extra

    return run(argv)
