"""HTML pieces shared by the run reports (``attnmem report``)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any


def paper_reference(paper: Mapping[str, Any]) -> list[str]:
    """The experiment's ``[paper]`` section as a heading and a key/value table (no lines
    when it is empty)."""
    if not paper:
        return []
    rows = [
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in paper.items()
    ]
    return ["<h2>Paper reference</h2><table>", *rows, "</table>"]
