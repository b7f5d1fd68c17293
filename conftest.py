"""Repository-wide pytest setup: doctests of re-exported names.

The packages rename ``__module__`` of their exports (see
``impact_rx/_exports.py``). doctest decides whether an object belongs to the
module it is scanning by that name, so without help it would collect an
exported class from the package root, where its methods' examples are skipped
(their globals belong to the defining module). Here each published object is
collected from the module that defined it, exactly once, methods included.
"""

from __future__ import annotations

import doctest
from types import ModuleType

from impact_rx._exports import ORIGINS

_default_from_module = doctest.DocTestFinder._from_module


def _from_module(self: doctest.DocTestFinder, module: ModuleType, obj: object) -> bool:
    origin = ORIGINS.get(id(obj))
    if origin is not None:
        return module.__name__ == origin
    return bool(_default_from_module(self, module, obj))


doctest.DocTestFinder._from_module = _from_module  # type: ignore[method-assign]
