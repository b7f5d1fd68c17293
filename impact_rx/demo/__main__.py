"""``python -m impact_rx.demo``: see :mod:`impact_rx.demo._flow`."""

import sys

from .._extras import MissingExtraError
from . import main


def _run() -> int:
    """Run the demo; without the http extra, print the advice and return 2."""
    try:
        return main()
    except MissingExtraError as exc:  # not a bug: no traceback, just the advice
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(_run())
