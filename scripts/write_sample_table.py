"""Write the measured table into sample_apps/README.md (between its table markers).

Usage:  python scripts/write_sample_table.py
Builds every variant of every sample app twice - without the build cache (cold), then again
(warm) - smoke-tests it on 127.0.0.1, reads its files, and writes what was measured.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from multistage.engine import connect, engine_facts
from multistage.experiments.sample_table import measure_variants

README = Path(__file__).resolve().parent.parent / "sample_apps" / "README.md"
BEGIN, END = "<!-- table:begin -->", "<!-- table:end -->"


def main() -> None:
    client = connect()
    table = measure_variants(client, cold=True)
    facts = engine_facts(client)
    columns = {
        "app": "App",
        "dockerfile": "Dockerfile",
        "size_mb": "Size (MB)",
        "shell": "Shell",
        "compiler": "Compiler",
        "non_root": "Non-root",
        "profile": "Base profile",
        "cold_s": "Cold build (s)",
        "warm_s": "Warm rebuild (s)",
    }
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + " --- |" * len(columns)]
    for row in table.to_dict("records"):
        lines.append("| " + " | ".join(str(row[key]) for key in columns) + " |")
    block = "\n".join(
        [
            BEGIN,
            *lines,
            "",
            f"Measured by `python scripts/write_sample_table.py` on {dt.date.today().isoformat()} "
            f"(engine {facts.server_version}, {', '.join(sorted(set(table['builder'])))} builder). "
            "Every image answered `GET /health` with 200. A cold build has no layer cache; cache "
            "mounts (`go/Dockerfile.best`) keep what earlier builds put in them.",
            END,
        ]
    )
    text = README.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    README.write_text(text[:start] + block + text[end:])
    print(block)


if __name__ == "__main__":
    main()
