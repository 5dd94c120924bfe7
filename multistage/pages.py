"""The one HTML page the project writes (the report of ``make run``, ``analyze``'s page): self-contained, offline."""

from __future__ import annotations

import html

__all__ = ["offline_page"]

#: One style for every page: readable width, plain tables, the claims' verdict colours.
_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;font-size:14px;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px}
table.summary td{text-align:right}td.holds{background:#dff0d8}td.partly{background:#fcf3cf}
td.not{background:#f2dede}figure{margin:1.5em 0}img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:15px;color:#333;margin-top:.3em}.error{color:#b00}
pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}"""


def offline_page(title: str, body: str) -> str:
    """A complete page around ``body`` (HTML) titled ``title`` (text); it loads nothing from the network."""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>\n'
        f"<style>{_STYLE}</style></head><body>\n{body}\n</body></html>"
    )
