"""The seed guide's session flow, run against a real authentication server.

``python -m impact_rx.demo`` (what ``make demo`` runs) starts
:class:`~impact_rx.demo.server.AuthServer` on loopback with a demo user and
prints every session state as it changes; :func:`main` runs the same from
Python and returns the exit status. ``impact_rx.demo.server`` is importable
on its own, for tests and notebooks.
"""

from ._flow import DEMO_NAME, DEMO_PASSWORD, DEMO_USERNAME, main
from .server import AuthServer

__all__ = ["DEMO_NAME", "DEMO_PASSWORD", "DEMO_USERNAME", "AuthServer", "main"]
