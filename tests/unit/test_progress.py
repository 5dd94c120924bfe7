"""What a build's progress display leaves in a notebook: one finished sentence, no widget."""

from __future__ import annotations

import pytest
from tqdm.std import tqdm

from multistage import progress
from multistage.build import read_recording
from multistage.dockerfile import listing
from multistage.progress import BuildProgress, PullProgress, experiment


class _Handle:
    def __init__(self, shown: list[dict]):
        self.shown = shown

    def update(self, bundle, raw):
        self.shown.append(bundle)


@pytest.fixture
def notebook(monkeypatch):
    """Pretend to run in a kernel; record every bundle the display shows."""
    shown: list[dict] = []

    def display(bundle, raw, display_id):
        assert raw and display_id
        shown.append(bundle)
        return _Handle(shown)

    monkeypatch.setattr(progress, "_in_notebook", lambda: True)
    monkeypatch.setattr(progress, "display", display)
    monkeypatch.setattr(progress, "_REDRAW_SECONDS", 0.0)
    return shown


def test_a_finished_build_leaves_one_sentence_with_its_outcome(notebook):
    with experiment("orderings"):
        bar = BuildProgress("node/Dockerfile")
    bar.on_step(1, 3, "FROM node:18")
    bar.on_step(2, 3, "RUN npm install")
    assert "<progress" in notebook[-1]["text/html"] and "step 2/3" in notebook[-1]["text/plain"]
    bar.close("1 of 3 steps from the cache")
    last = notebook[-1]
    assert last["text/plain"].startswith("✓ orderings · node/Dockerfile — 1 of 3 steps from the cache, ")
    assert "<progress" not in last["text/html"]
    # No widget: the terminal bar (tqdm's plain one; tqdm.auto would draw a widget) stays off.
    assert bar._bar.disable is True and type(bar._bar) is tqdm


def test_a_failed_build_is_marked_as_failed(notebook):
    bar = BuildProgress("go/Dockerfile")
    bar.close("failed at `RUN go build`")
    assert notebook[-1]["text/plain"].startswith("✗ go/Dockerfile — failed at `RUN go build`")


def test_without_a_progress_display_nothing_is_shown(notebook):
    BuildProgress("go/Dockerfile", enabled=False).close()
    assert notebook == []


def test_a_listing_shows_only_what_changed():
    before = "FROM a\nRUN one\nCOPY . .\n"
    shown = listing("FROM a\nRUN two\nCOPY . .\n", "new", against=before, before="old")
    assert shown.is_diff and "-RUN one" in shown.text and "+RUN two" in shown.text
    assert shown._repr_markdown_().startswith("**old → new**\n\n```diff")
    assert listing(before, "old", against=before).text == "(no difference)"


def test_a_pull_bar_counts_every_layers_bytes_from_a_real_pull_stream(recordings):
    messages = [message for _, message in read_recording(recordings / "pull-node-18.jsonl")]
    bar = PullProgress("node:18")
    seen = []
    for message in messages:
        bar.on_message(message)
        seen.append(bar.received)
    bar.close("pulled")
    assert seen == sorted(seen), "bytes received never go backwards"
    # The recording downloads 4 layers (the others already existed) of 216871160 bytes in all.
    assert (len(bar._layers), bar.received, bar.expected) == (4, 216871160, 216871160), (
        "when the pull ends, every layer is counted whole, once"
    )
