"""The README's other examples print what it shows: the traced script, the demo."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from impact_rx.demo import main

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_traced_script_prints_exactly_the_output_the_readme_shows(
    tmp_path: Path,
) -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(
        r"```python\n(import logging\n.*?)```\n.*?```text\n(count is 0\n.*?)```",
        text,
        re.S,
    )
    assert found, "README lost its trace() example or the output shown after it"
    script, shown = found.groups()
    (tmp_path / "app.py").write_text(script, encoding="utf-8")

    run = subprocess.run(
        [sys.executable, "-u", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    printed = sorted(run.stdout.splitlines() + run.stderr.splitlines())
    assert printed == sorted(shown.splitlines())


def _demo_outline(text: str) -> list[str]:
    """The demo's lines without clock times, ports and repeated refreshes."""
    outline: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"^\d\d:\d\d:\d\d\.\d{3}  ", "", line)
        line = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", line)
        line = re.sub(r"\s+", " ", line).strip()
        if line and not (outline and line == outline[-1]):
            outline.append(line)
    return outline


def test_the_demo_output_the_readme_shows_is_what_make_demo_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"```text\n(-- Embedded auth server.*?)```", text, re.S)
    assert found, "README lost the output of make demo"
    monkeypatch.delenv("IMPACT_RX_DEMO_PASSWORD", raising=False)

    assert main([]) == 0

    assert _demo_outline(capsys.readouterr().out) == _demo_outline(found[1])
