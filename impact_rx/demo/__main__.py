"""``python -m impact_rx.demo``: see :mod:`impact_rx.demo._flow`."""

from ._flow import main

if __name__ == "__main__":
    raise SystemExit(main())
