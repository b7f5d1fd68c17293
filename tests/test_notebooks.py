"""The five notebooks run top to bottom in a fresh kernel and leak no secret.

Each notebook ends its sections with ``assert``s, so executing it is the
test. Before the notebook's own cells, a preamble makes the embedded auth
server issue recognisable tokens; every output is then scanned for them and
for the demo password.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from impact_rx.demo import DEMO_PASSWORD

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = [
    "01_signals",
    "02_services",
    "03_suspense",
    "04_session",
    "05_marble_testing",
]
PASSWORD = "correct horse battery staple"
TOKEN_MARK = "nbtest-token-"

# Runs first in the kernel: tokens become recognisable, and counted, so the
# scan below cannot pass merely because no token was ever issued.
PREAMBLE = f"""\
import itertools as _it
import secrets as _secrets

_issued = _it.count(1)
_secrets.token_urlsafe = lambda nbytes=None: "{TOKEN_MARK}%d-%s" % (
    next(_issued),
    "x" * 16,
)
"""
EPILOGUE = "print('tokens issued:', next(_issued) - 1)"


def _read(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)  # type: ignore[no-untyped-call]


def _cell(source: str) -> Any:
    return nbformat.v4.new_code_cell(source)  # type: ignore[no-untyped-call]


@cache
def _execute(name: str) -> Any:
    notebook = _read(name)
    notebook.cells.insert(0, _cell(PREAMBLE))
    notebook.cells.append(_cell(EPILOGUE))
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return notebook


def _outputs(notebook: Any) -> list[str]:
    """Every cell output, and the saved widget state a ``live()`` view lives in."""
    return [
        json.dumps(output)
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ] + [json.dumps(notebook.metadata.get("widgets", {}))]


def _tokens_issued(notebook: Any) -> int:
    # Background threads (the server, a live view) may print into the last
    # cell too, and one print can arrive as several stream chunks: read the
    # cell's whole stdout and find the epilogue's line in it.
    stdout = "".join(
        output.get("text", "")
        for output in notebook.cells[-1].outputs
        if output.get("name") == "stdout"
    )
    found = re.search(r"^tokens issued: (\d+)$", stdout, re.M)
    assert found, f"the epilogue printed no count: {stdout!r}"
    return int(found.group(1))


@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_runs_top_to_bottom_and_shows_no_secret(name: str) -> None:
    notebook = _execute(name)

    outputs = _outputs(notebook)
    assert not [o for o in outputs if TOKEN_MARK in o or PASSWORD in o]
    assert not [o for o in outputs if '"output_type": "error"' in o]


def test_the_session_notebook_really_uses_the_secrets_it_is_scanned_for() -> None:
    source = (NOTEBOOKS / "04_session.ipynb").read_text()

    notebook = _execute("04_session")

    # The password is the demo's, imported: a copy in the notebook could
    # drift from what this test scans for (and teaches hard-coding one).
    assert PASSWORD == DEMO_PASSWORD
    assert "from impact_rx.demo import DEMO_PASSWORD" in source
    assert PASSWORD not in source
    assert _tokens_issued(notebook) >= 2


@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_is_stored_without_outputs(name: str) -> None:
    notebook = _read(name)

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


def test_the_scan_covers_the_live_view_the_session_notebook_leaves_behind() -> None:
    widgets = _outputs(_execute("04_session"))[-1]

    assert "SessionService.state" in widgets
