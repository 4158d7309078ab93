"""The HTML report of a benchmark run, rendered from the run directory's records only."""

from __future__ import annotations

from badbench.bench.report._render import render_html, write_report
from badbench.bench.report._strips import strip_indices, write_strip

__all__ = ["render_html", "strip_indices", "write_report", "write_strip"]
