"""The command a learner would type at a terminal for each inspection the notebooks make.

Builds carry theirs in :attr:`~multistage.results.BuildReport.command`. A table read from an
image carries its commands in ``DataFrame.attrs["commands"]`` (:func:`with_commands`); in a
notebook, each is shown as a ``$ …`` line above the table. The commands are the nearest ones a
terminal offers: the tables themselves are read from the layers' listings, which is quicker and
also works on images without a shell.
"""

from __future__ import annotations

import shlex
import weakref

import docker
import pandas as pd

from .engine import engine_kind

try:  # IPython comes with Jupyter; the package also works without it (scripts, make run).
    from IPython import get_ipython
except ImportError:  # pragma: no cover
    get_ipython = None

__all__ = [
    "cli",
    "file_listing",
    "history",
    "image_ls",
    "image_ref",
    "name_of",
    "run",
    "serve",
    "with_commands",
]

_CLIS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cli(client: docker.DockerClient) -> str:
    """``podman`` where the engine is Podman, else ``docker`` (asked once per client)."""
    if client not in _CLIS:
        _CLIS[client] = "podman" if engine_kind(client.version(), {}) == "Podman" else "docker"
    return _CLIS[client]


def image_ref(image_id: str, tags: list[str] | tuple[str, ...] = ()) -> str:
    """How a command names an image: its first tag, else its short id."""
    return tags[0] if tags else image_id.removeprefix("sha256:")[:12]


def name_of(client: docker.DockerClient, image: str) -> str:
    """How a command names ``image`` (an id or a reference) on this engine: its first tag, else its short id."""
    found = client.images.get(image)
    return image_ref(found.id, found.tags)


def image_ls(tool: str, refs: list[str]) -> str:
    """``docker image ls`` of exactly these tagged images (their sizes, as the engine counts them)."""
    return shlex.join([tool, "image", "ls", *(f"--filter=reference={ref}" for ref in refs)])


def history(tool: str, ref: str) -> str:
    """``docker history``: one line per layer, the instruction that made it and its size."""
    return shlex.join([tool, "history", ref])


def file_listing(tool: str, ref: str) -> str:
    """Every file of the image with its size, from a container that is created, never started."""
    return f'c=$({tool} create {shlex.quote(ref)}) && {tool} export "$c" | tar -tv; {tool} rm "$c"'


def run(tool: str, ref: str, argv: list[str], user: str | None = None) -> str:
    """``docker run --rm`` of one command in a fresh container."""
    return shlex.join([tool, "run", "--rm", *(["--user", user] if user else []), ref, *argv])


def serve(tool: str, ref: str, port: int, path: str) -> str:
    """Run the app with its port on 127.0.0.1, give it a moment, ask it for ``path``, then stop it."""
    start = shlex.join([tool, "run", "-d", "--rm", "-p", f"127.0.0.1:{port}:{port}", ref])
    return f'c=$({start}) && sleep 2 && curl -s http://127.0.0.1:{port}{path}; {tool} stop "$c"'


def with_commands(frame: pd.DataFrame, commands: list[str]) -> pd.DataFrame:
    """Attach ``commands`` to ``frame``; a notebook shows them as ``$ …`` lines above the table."""
    frame.attrs["commands"] = list(commands)
    return frame


def _html(frame: pd.DataFrame) -> str | None:
    """A table's HTML with its commands above it (the formatter IPython uses for DataFrames)."""
    table = frame._repr_html_()
    commands = frame.attrs.get("commands")
    if not commands or table is None:
        return table
    lines = "".join(f"<pre style='margin:0'>$ {_escape(command)}</pre>" for command in commands)
    return f"<div>{lines}</div>{table}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _register() -> None:
    shell = get_ipython() if get_ipython else None
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, _html)


_register()
