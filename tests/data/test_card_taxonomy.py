"""docs/taxonomy.md embeds the failure-mode tables exactly as taxonomy_markdown() renders them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "taxonomy.md"
BEGIN, END = "<!-- BEGIN failure-modes (generated) -->\n", "<!-- END failure-modes -->"


def test_taxonomy_doc_is_in_sync():
    # a fresh interpreter: modes registered at run time by other tests do not leak in
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "from badbench.data.card import taxonomy_markdown; print(taxonomy_markdown(), end='')",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    text = DOC.read_text()
    embedded = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    assert embedded == fresh, "docs/taxonomy.md is stale; regenerate it (see the doc)"


def test_every_mode_is_a_row():
    from badbench.data.card import taxonomy_markdown
    from badbench.data.taxonomy import FAILURE_MODES

    md = taxonomy_markdown()
    for mode in FAILURE_MODES.values():
        assert f"| `{mode.name}` | `{mode.category.value}` | {mode.description} |" in md
