"""Experiments, one module per notebook that runs them (the edit-and-rebuild loop they share is ``multistage.edits``).

- ``overview`` — notebook 00: a deleted secret read back from layers; the builder pattern.
- ``go_example`` — notebook 02: HTTPS with and without a CA bundle.
- ``python_example`` — notebook 03: the builder's and the runtime's Python, C library and extension suffix.
- ``multiple_stages`` — notebook 05: each stage's time against the wall time, per builder.
- ``named_stages`` — notebook 04: failing tests under each builder; an unused slow stage.
- ``best_practices`` — notebook 06: final images, stage order, ``.dockerignore``, stage names.
- ``faster_rebuilds`` — notebook 07: what the builders accept, and cache mounts measured.
- ``sample_table`` — ``make run`` and sample_apps/README.md: every variant measured.
"""

__all__ = [
    "best_practices",
    "faster_rebuilds",
    "go_example",
    "multiple_stages",
    "named_stages",
    "overview",
    "python_example",
    "sample_table",
]
