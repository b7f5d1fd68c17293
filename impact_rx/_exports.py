"""Public names report their package as their module, in reprs and tracebacks.

Each package ``__init__`` calls :func:`publish` on its ``__all__``. The module
each name was defined in is kept in :data:`ORIGINS`, so tools that need it
(the doctest collection in the repository's ``conftest.py``) can still find it.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

__all__ = ["ORIGINS", "publish"]

#: ``id(obj)`` of each published object → the module that defined it. The
#: objects are kept alive by their package, so the ids stay valid.
ORIGINS: dict[int, str] = {}


def publish(namespace: MutableMapping[str, object], names: Iterable[str]) -> None:
    """Make every name in ``names`` report ``namespace``'s package as its module.

    Only objects defined in the package's private modules (``pkg._x``) are
    renamed; re-exports from elsewhere keep their module.
    """
    package = str(namespace["__name__"])
    prefix = package + "._"
    for name in names:
        obj = namespace[name]
        module = getattr(obj, "__module__", None)
        if isinstance(module, str) and module.startswith(prefix):
            ORIGINS[id(obj)] = module
            obj.__module__ = package
