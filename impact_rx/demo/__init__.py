"""The seed guide's session flow, run against a real authentication server.

``python -m impact_rx.demo`` (what ``make demo`` runs) starts
:class:`~impact_rx.demo.server.AuthServer` on loopback with a demo user and
prints every session state as it changes. ``impact_rx.demo.server`` is
importable on its own, for tests and notebooks.
"""
