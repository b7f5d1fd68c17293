"""The README's non-doctest examples: the traced script prints what it shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
