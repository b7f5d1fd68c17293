"""The installed version, for ``impact_rx.__version__``."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["UNKNOWN", "installed_version"]

#: What ``__version__`` says when the package's metadata cannot be found
#: (run from a source tree that was never installed).
UNKNOWN = "0+unknown"


def installed_version(distribution: str = "impact_rx") -> str:
    """The version the installed ``distribution`` declares, else ``UNKNOWN``.

    Example:
        >>> installed_version("surely-not-installed-here")
        '0+unknown'
    """
    try:
        return version(distribution)
    except PackageNotFoundError:
        return UNKNOWN
