"""Your own multi-stage Dockerfile, measured with the tutorial's tools (``python -m multistage analyze``).

One call builds the learner's Dockerfile unchanged (its bases mapped for the active profile in a
temporary copy) and measures what the notebooks taught: the stages and which the target needs,
what the final image carries and what it adds to its runtime base, what an edit costs, what is
sent to the engine, what hadolint says — then ranks concrete findings, each tied to the number
that triggered it and to the notebook that teaches the fix.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from .bases import rewrite_bases
from .build import available_builders, build
from .buildkit import context_tar, sent_paths
from .charts import layer_breakdown, stage_graph
from .containers import StartResult, first_start
from .contents import (
    ImageFacts,
    Surface,
    attack_surface,
    facts,
    largest_paths,
    layers_dataframe,
    node_modules,
)
from .dockerfile import (
    Stage,
    check_instructions,
    copies_by_position,
    copy_source,
    has_heredocs,
    numbered_instructions,
    parse_stages,
    reachable,
    read_dockerfile,
)
from .edits import COMMENTS, rebuild_after_edits
from .engine import client_or_connect, engine_major
from .errors import BuildFailed, DockerfileError, UsageError
from .labels import BUILD_NAMESPACE
from .lint import hadolint, serious
from .listings import image_size
from .pages import offline_page
from .profiles import active_profile
from .progress import experiment, quiet
from .provision import provision_on_demand
from .results import BuildReport, amount, mb

__all__ = [
    "Analysis",
    "CacheEdit",
    "Finding",
    "analyze",
    "copied_from_context",
]

#: Files whose change means new dependencies (the dependency edit touches the first one found).
MANIFESTS = ("package.json", "requirements.txt", "pyproject.toml", "go.mod", "Gemfile", "Cargo.toml")
#: Source files an everyday edit touches (each takes a comment, see ``COMMENTS``).
_SOURCES = set(COMMENTS) - {".txt", ".toml", ".mod"}
_SKIP_DIRS = {"node_modules", "vendor", ".git", "dist", "build", "__pycache__", ".venv", "target"}
#: What a step that installs dependencies looks like.
_INSTALL = re.compile(
    r"\b(npm (ci|install)|yarn( install)?\b|pnpm install|pip3? install|go mod download|bundle install|cargo fetch)"
)
#: Steps whose rerun a cache mount shortens (notebook 07 measured it for Go; npm's and pip's
#: download caches saved nothing measurable there, so they are not recommended).
_COMPILE = re.compile(r"\bgo (build|test|vet)\b")


@dataclass(frozen=True)
class CacheEdit:
    """A rebuild after one edit: which file, which steps ran again, what it cost."""

    edit: str
    file: str
    rerun: list[str]
    seconds: float


@dataclass(frozen=True)
class Finding:
    """One recommendation: what was measured, what to do, and the notebook that teaches it."""

    rank: int
    code: str  # a short name for the rule, the same on every project (benchmarks/analyze.py counts them)
    finding: str
    fix: str
    notebook: str


@dataclass
class Analysis:
    """Everything :func:`analyze` measured about one Dockerfile."""

    context: Path
    dockerfile: str
    target: str | None
    profile: str
    bases: pd.DataFrame
    notes: list[str]
    stages: list[Stage]
    needed: set[int]
    report: BuildReport
    final: ImageFacts
    surface: Surface
    base_size: int | None
    layers: pd.DataFrame
    largest: pd.DataFrame
    context_mb: float
    unignored_mb: float | None
    largest_sent: pd.DataFrame
    lint: pd.DataFrame
    edits: list[CacheEdit] = field(default_factory=list)
    stage_sizes: dict[int, int] = field(default_factory=dict)
    dev_packages: int | None = None
    start: StartResult | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def goal(self) -> str:
        """The stage built: the target, or the last stage."""
        last = self.stages[-1]
        return self.target or last.name or f"the final stage (#{last.index})"

    def stage_table(self) -> pd.DataFrame:
        """One row per stage: its base, whether the target needs it, whether the build ran it, its image's size."""
        return pd.DataFrame(
            [
                {
                    "stage": s.label,
                    "from": s.base,
                    "needed by target": s.index in self.needed,
                    "built": s.index in self.report.stages_run,
                    "size_mb": round(mb(self.stage_sizes[s.index]), 1)
                    if s.index in self.stage_sizes
                    else None,
                }
                for s in self.stages
            ]
        ).set_index("stage")

    def findings_table(self) -> pd.DataFrame:
        """The findings, most important first."""
        return pd.DataFrame(
            [vars(f) for f in self.findings], columns=["rank", "code", "finding", "fix", "notebook"]
        )

    def summary(self) -> str:
        """One screen of text: the numbers that matter, then the ranked findings."""
        size = mb(self.report.size)
        if self.base_size:
            added = f", {amount(size - mb(self.base_size))} added to its runtime base"
        else:
            added = " (on scratch: every byte added by the Dockerfile)"
        ran = sorted(self.report.stages_run)
        skipped = [s.label for s in self.stages if s.index not in ran]
        done, cached = self.report.work_counts()
        lines = [
            f"{self.context}/{self.dockerfile}" + (f" --target {self.target}" if self.target else ""),
            f"  profile {self.profile}, builder {self.report.builder}; built in {self.report.seconds:.1f} s "
            f"({cached} of {done + cached} steps from the cache)",
        ]
        for row in self.bases.itertuples():
            if row.requested != row.used:
                lines.append(
                    f"  base {row.requested} -> {row.used}" + (f" ({row.differs})" if row.differs else "")
                )
        lines += [f"  note: {note}" for note in self.notes]
        lines.append(
            f"Stages: {len(self.stages)}; {self.goal} needs {len(self.needed)}, the build used {len(ran)} "
            "(their steps ran or came from the cache)"
            + (f"; skipped: {', '.join(skipped)}" if skipped else "")
        )
        lines.append(f"Final image: {size:.1f} MB{added}")
        lines.append(
            f"  shell {self.final.shell or 'none'}; package managers {', '.join(self.final.package_managers) or 'none'}; "
            f"compilers {', '.join(self.final.compilers) or 'none'}; user {self.final.user or 'root'}"
        )
        lines.append(
            f"  {self.surface.os_packages} OS packages, {self.surface.executables} executables, "
            f"{self.surface.setuid} setuid/setgid files"
        )
        if len(self.largest):
            top = ", ".join(f"{r.path} {r.mb:.1f} MB" for r in self.largest.head(3).itertuples())
            lines.append(f"  largest: {top}")
        sent = f"Context: {amount(self.context_mb)} sent"
        if self.unignored_mb is not None:
            sent += (
                f"; .dockerignore leaves out {amount(self.unignored_mb - self.context_mb)} of this directory"
            )
        else:
            sent += " (no .dockerignore)"
        lines.append(sent)
        if self.start is not None:
            lines.append(
                f"Start: {self.start.outcome}"
                + (f" ({self.start.detail})" if self.start.detail else "")
                + f"  $ {self.start.command}"
            )
        for edit in self.edits:
            lines.append(
                f"Cache: after a {edit.edit} ({edit.file}) {len(edit.rerun)} steps ran again, {edit.seconds:.1f} s"
            )
        lint = serious(self.lint)
        lines.append(
            f"Lint: hadolint reports {_count(len(lint), 'warning or error', 'warnings or errors')}"
            + (f" ({', '.join(sorted(set(lint['code'])))})" if len(lint) else "")
        )
        lines.append("Findings:" if self.findings else "Findings: none")
        lines += [f"  {f.rank}. {f.finding} -> {f.fix} (notebook {f.notebook})" for f in self.findings]
        return "\n".join(lines)

    def stage_graph(self) -> Figure:
        """The stage graph (notebook 04's chart): what the target needs, what the build ran."""
        return stage_graph(self.stages, target=self.target, report=self.report)

    def layer_chart(self) -> Figure:
        """The final image's layers (notebook 01's chart): the runtime base, then each added layer."""
        return layer_breakdown(
            self.layers, subject=f"{self.context.name}/{self.dockerfile}", profile=self.profile
        )

    def to_html(self, path: Path) -> Path:
        """The same as a page that loads nothing from the network."""
        tables = {
            "Findings": self.findings_table(),
            "Base images": self.bases,
            "Stages": self.stage_table(),
            "Largest paths in the final image": self.largest,
            "Layers of the final image": self.layers,
            "Largest paths sent to the engine": self.largest_sent,
            "hadolint": self.lint,
        }
        body = "".join(
            f"<h2>{html.escape(title)}</h2>{table.to_html(index=title == 'Stages', border=0)}"
            + (_svg(self.stage_graph()) if title == "Stages" else "")
            + (_svg(self.layer_chart()) if title.startswith("Layers") else "")
            for title, table in tables.items()
        )
        page = offline_page(
            "multistage analyze",
            f"<h1>{html.escape(str(self.context))}/{html.escape(self.dockerfile)}</h1>"
            f"<pre>{html.escape(self.summary())}</pre>{body}",
        )
        Path(path).write_text(page)
        return Path(path)


def _svg(figure: Figure) -> str:
    """A figure inlined as SVG, so the page renders offline; the figure is closed."""
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    plt.close(figure)
    return out.getvalue()[out.getvalue().index("<svg") :]


def analyze(
    context: str | Path,
    dockerfile: str = "Dockerfile",
    target: str | None = None,
    client: docker.DockerClient | None = None,
    edits: bool = True,
    progress: bool = True,
) -> Analysis:
    """Build ``context``'s Dockerfile as written (bases mapped for the profile, in a copy) and measure it.

    Args:
        context: The project directory (the build context). Nothing in it is changed.
        dockerfile: The Dockerfile, relative to ``context``.
        target: The stage to build (default: the last).
        client: Docker client.
        edits: Also rebuild after a source edit and, when a manifest is found, a dependency edit.
        progress: Show which build and step is running.

    Raises:
        MultistageError: No such directory or Dockerfile, a stage that does not exist, a base with
            no stand-in, or a failing build — each in one sentence.
    """
    context = Path(context).expanduser().resolve()
    if not context.is_dir():
        raise UsageError(f"{context} is not a directory; pass the project's build context.")
    if not (context / dockerfile).is_file():
        raise UsageError(f"{context} has no {dockerfile}; pass the Dockerfile with -f.")
    text = read_dockerfile(context / dockerfile)
    client = client_or_connect(client)
    profile = active_profile(client, say=quiet)
    _refuse_heredocs(text, not profile.stands_in("docker/dockerfile"), client)
    check_instructions(text, dockerfile)
    rewritten = rewrite_bases(text, profile)
    provision_on_demand(client, [mapped.used for mapped in rewritten.bases])
    stages = parse_stages(rewritten.text)
    needed = reachable(stages, target)
    tag = f"{BUILD_NAMESPACE}/analyze:{_slug(context.name)}"
    with tempfile.TemporaryDirectory(prefix="multistage-analyze-") as tmp:
        copy = Path(tmp) / context.name
        shutil.copytree(context, copy, ignore=shutil.ignore_patterns(".git"), symlinks=True)
        (copy / dockerfile).write_text(rewritten.text)
        with experiment(f"analyze {context.name}"):
            try:
                report = build(copy, dockerfile, target=target, tag=tag, client=client, progress=progress)
            except BuildFailed as exc:
                stood_in = any(mapped.requested != mapped.used for mapped in rewritten.bases)
                raise _named_obstacle(exc, stood_in) from None
            sizes = _stage_sizes(copy, dockerfile, stages, report, tag, client, progress)
            measured_edits, edit_notes = (
                _edits(copy, dockerfile, rewritten.text, needed, target, tag, client, progress)
                if edits
                else ([], [])
            )
    final = facts(client, report.image_id)
    final_stage = stages[max(needed)] if target else stages[-1]
    analysis = Analysis(
        context=context,
        dockerfile=dockerfile,
        target=target,
        profile=profile.label,
        bases=rewritten.table(),
        notes=rewritten.notes + edit_notes,
        stages=stages,
        needed=needed,
        report=report,
        final=final,
        surface=attack_surface(client, report.image_id),
        base_size=_base_size(client, stages, final_stage),
        layers=layers_dataframe(client, report),
        largest=largest_paths(client, report.image_id, depth=3, top=8),
        context_mb=mb(len(context_tar(context, dockerfile))),
        unignored_mb=(
            mb(len(context_tar(context, dockerfile, dockerignore=False)))
            if (context / ".dockerignore").is_file()
            else None
        ),
        largest_sent=_largest_sent(context, dockerfile),
        lint=hadolint({dockerfile: text}),
        edits=measured_edits,
        stage_sizes=sizes,
        dev_packages=_dev_packages(client, context, report.image_id),
        start=first_start(client, report.image_id),
    )
    analysis.findings = rank_findings(analysis)
    return analysis


#: A log line that says a server could not be reached (resolved, connected to, or fetched from).
_NETWORK = re.compile(
    r"ENOTFOUND|EAI_AGAIN|getaddrinfo|Could not resolve host|no such host|Name or service not known|"
    r"Temporary failure in name resolution|Connection (refused|timed out)|Network is unreachable|"
    r"dial tcp|i/o timeout|TLS handshake timeout|unable to access|failed to fetch|Could not connect|"
    r"Failed to connect|Could not transfer artifact|related to network connectivity"
)


@dataclass(frozen=True)
class Obstacle:
    """Something a build needed that this machine does not give it, known by what its log says."""

    pattern: re.Pattern
    sentence: str
    network: bool = True  # the log must also say a server could not be reached (:data:`_NETWORK`)
    stand_in: bool = False  # only where local stand-ins were used: it is how they differ


#: Checked in order; the first that matches a failing build's message and log wins.
OBSTACLES: tuple[Obstacle, ...] = (
    Obstacle(
        re.compile(r"go\.mod requires go >= ?[\d.]+|requires go >= ?[\d.]+ \(running go"),
        "the project's `go.mod` needs a newer Go than the local golang stand-in has (the base line "
        "above says which it has, and the toolchain cannot be downloaded here); use the official "
        "profile where Docker Hub answers.",
        network=False,
        stand_in=True,
    ),
    Obstacle(
        re.compile(
            r"No such file or directory: '(c\+\+|g\+\+|gcc|cc)'|unable to execute '[\w-]*(gcc|g\+\+)'|"
            r"command '[\w/-]*(gcc|g\+\+)' failed"
        ),
        "`pip install` compiles a package from source, and this stage has no compiler: where the stand-in's "
        "Python (the base line above says which) differs from the one requested, a pinned version may have "
        "no ready-made wheel for it; use the official profile where Docker Hub answers, or pin a version "
        "with a wheel for the stand-in's Python.",
        network=False,
        stand_in=True,
    ),
    Obstacle(
        re.compile(
            r"pg_config executable not found|Could not run curl-config|curl-config: not found|mysql_config not found|"
            r"fatal error: [\w/.+-]+\.h: No such file or directory"
        ),
        "a package is built from source and needs a C library's development files (headers, "
        "`pg_config`, `curl-config`), which the official full images carry and the local Debian 12 "
        "builder stand-ins (build-essential only) do not; use the official profile where Docker Hub "
        "answers, or a Debian 13 base (`-trixie` or a current version), whose stand-in has the common ones.",
        network=False,
        stand_in=True,
    ),
    Obstacle(
        re.compile(
            r'usr/local/lib/python3\.\d+[^"\s:]*"?:? (not found|no such file or directory|file does not exist)'
        ),
        "a step copies `/usr/local/lib/python3.X`, where the official python image installs its one "
        "Python; the local stand-in is Debian's Python (its version on the base line above) in "
        "`/usr/lib`, so that folder is not there; use the official profile where Docker Hub answers, "
        "or copy a virtual environment instead of the interpreter's folders.",
        network=False,
        stand_in=True,
    ),
    Obstacle(
        re.compile(r"apk \(local stand-in\): package"),
        "`apk add` needs Alpine's package mirror, which the local `alpine` stand-in does not have "
        "(its apk holds only ca-certificates); use the official profile where the mirror answers.",
        network=False,
        stand_in=True,
    ),
    Obstacle(
        re.compile(r"\b(corepack|pnpm): (command )?not found"),
        "the local node stand-ins have no corepack or pnpm (the official node images ship corepack, "
        "which fetches pnpm or a newer yarn); use the official profile where Docker Hub answers.",
        network=False,
        stand_in=True,
    ),
    Obstacle(
        re.compile(r"proxy\.golang\.org|sum\.golang\.org"),
        "`go mod download` needs the Go module proxy (proxy.golang.org), which this machine cannot "
        "reach; vendor the modules (`go mod vendor`, and build with `-mod=vendor`), or analyse where "
        "the proxy answers.",
    ),
    Obstacle(
        re.compile(r"node-gyp|gyp (ERR|info)|nodejs\.org/(dist|download)"),
        "the package install (npm or yarn) runs node-gyp for a native addon, which downloads Node's "
        "headers from nodejs.org, unreachable here; analyse where nodejs.org answers, or use the "
        "addon's prebuilt binaries.",
    ),
    Obstacle(
        re.compile(r"dl-cdn\.alpinelinux\.org"),
        "`apk add` needs Alpine's package mirror, which this machine cannot reach; analyse where "
        "the mirror answers.",
    ),
    Obstacle(
        re.compile(r"crates\.io|index\.crates|static\.crates"),
        "`cargo` needs crates.io, which this machine cannot reach; vendor the crates (`cargo vendor`), "
        "or analyse where crates.io answers.",
    ),
    Obstacle(
        re.compile(r"repo\.maven\.apache\.org|repo1\.maven\.org|services\.gradle\.org"),
        "Maven or Gradle needs its central repository, which this machine cannot reach; analyse "
        "where it answers, or give the build a local mirror.",
    ),
    Obstacle(
        re.compile(r"python-build-standalone"),
        "uv downloads the Python the project asks for (`requires-python`, `.python-version`) from "
        "GitHub, unreachable here, because the stand-in's Python (its version on the base line above) "
        "does not satisfy it; use the official profile where Docker Hub answers, or a Python version "
        "the stand-ins have.",
        stand_in=True,
    ),
    Obstacle(
        re.compile(r"https?://([\w.-]*\.)?(github\.com|githubusercontent\.com)/"),
        "a build step downloads from GitHub, which this machine cannot reach; analyse where GitHub "
        "answers, or put the download in the build context.",
    ),
    Obstacle(
        _NETWORK,
        "a build step reaches a server this machine cannot reach; the log below names it — analyse "
        "where that server answers.",
    ),
)


#: How far up the failing build's log an obstacle is looked for.
_OBSTACLE_LINES = 60


def _named_obstacle(exc: BuildFailed, stood_in: bool) -> BuildFailed:
    """``exc``, led by the sentence of the first :data:`OBSTACLES` its log shows, or as it is.

    ``stood_in``: local stand-ins replaced some of the Dockerfile's bases (their differences
    are obstacles only then).
    """
    # The lines just before the failure: far enough up for a cause a long error hides (node-gyp's,
    # psycopg2's), not so far that an earlier step's retried download or optional probe counts.
    said = "\n".join([str(exc.args[0]), *exc.log[-_OBSTACLE_LINES:]])
    found = next(
        (
            obstacle
            for obstacle in OBSTACLES
            if obstacle.pattern.search(said)
            and (not obstacle.network or _NETWORK.search(said))
            and (stood_in or not obstacle.stand_in)
        ),
        None,
    )
    if found is None:
        return exc
    return BuildFailed(
        f"{found.sentence} {exc.args[0]}", exc.step, exc.log_tail, exc.line, exc.seconds, exc.log
    )


def _refuse_heredocs(text: str, registry_reachable: bool, client: docker.DockerClient) -> None:
    """Heredocs need BuildKit with a Dockerfile frontend from 2022 on: the engine's own (23.0+) or a ``# syntax`` one.

    Raises:
        MultistageError: The Dockerfile has heredocs and this engine cannot parse them.
    """
    if not has_heredocs(text):
        return
    version = client.version().get("Version", "0")
    major = engine_major(client)
    buildkit = available_builders(client, say=quiet)[0] == "buildkit"
    # Without Docker Hub, `# syntax=` is left out (see rewrite_bases): it would fetch from there.
    syntax_kept = registry_reachable and bool(re.match(r"\s*#\s*syntax\s*=", text, re.IGNORECASE))
    if not (buildkit and (major >= 23 or syntax_kept)):
        raise DockerfileError(
            f"This Dockerfile uses heredocs (`RUN <<EOF`), which this engine (Docker {version}"
            f"{'' if buildkit else ', no BuildKit'}) cannot parse without fetching a newer Dockerfile frontend"
            f"{' from a registry' if not syntax_kept else ''}; write those steps as `RUN a && b`, or analyse "
            "on Docker Engine 23.0 or later."
        )


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _stage_sizes(copy, dockerfile, stages, report, tag, client, progress) -> dict[int, int]:
    """The image size of every named stage the build ran (each built as a target: from the cache)."""
    sizes = {stages[-1].index: report.size} if report.target is None else {}
    for stage in stages:
        if stage.index in report.stages_run and stage.name and stage.name != report.target:
            with experiment(f"stage {stage.name}"):
                built = build(
                    copy,
                    dockerfile,
                    target=stage.name,
                    tag=f"{tag}-{_slug(stage.name)}",
                    client=client,
                    progress=progress,
                )
            sizes[stage.index] = built.size
        elif stage.name and stage.name == report.target:
            sizes[stage.index] = report.size
    return sizes


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.") or "project"


def _base_size(client: docker.DockerClient, stages: list[Stage], stage: Stage) -> int | None:
    """The size of the image the stage starts from (following ``FROM <stage>``); None for scratch."""
    while stage.base_stage is not None:
        stage = stages[stage.base_stage]
    if stage.base == "scratch":
        return None
    try:
        return image_size(client, stage.base)
    except docker.errors.ImageNotFound:
        return None


def _largest_sent(context: Path, dockerfile: str, top: int = 5) -> pd.DataFrame:
    totals: dict[str, int] = {}
    for path in sent_paths(context, dockerfile):
        full = context / path
        if full.is_file() and not full.is_symlink():
            key = path.split("/", 1)[0]
            totals[key] = totals.get(key, 0) + full.stat().st_size
    rows = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return pd.DataFrame([{"path": p, "mb": round(mb(s), 2)} for p, s in rows], columns=["path", "mb"])


def copied_from_context(text: str, needed: set[int], paths: list[str]) -> list[str]:
    """The ``paths`` (relative to the context) that a ``COPY``/``ADD`` or a ``RUN``'s bind mount of a
    needed stage takes from the build context (``--from`` copies take nothing from it), in their order.

    Sources are matched as the builder does: ``.`` is everything, a directory its files, and
    ``*``/``?`` patterns as shell globs.
    """
    sources = []
    for item in numbered_instructions(text):
        if item.stage in needed and item.keyword == "RUN":
            sources += _bind_sources(item.value)
        if item.stage not in needed or item.keyword not in ("COPY", "ADD"):
            continue
        words = _copy_words(item.value)
        if any(word.startswith("--from") for word in words):
            continue
        args = [word for word in words if not word.startswith("--")]
        sources += [arg.removeprefix("./").rstrip("/") for arg in args[:-1]]
    if any(source in ("", ".") for source in sources):
        return list(paths)
    return [
        path
        for path in paths
        if any(
            path == source or path.startswith(source + "/") or _glob(source).fullmatch(path)
            for source in sources
        )
    ]


def _bind_sources(run: str) -> list[str]:
    """What a ``RUN``'s ``--mount=type=bind`` options take from the build context (a mount with
    ``from=`` takes from a stage or an image; one without ``source`` takes the whole context)."""
    sources = []
    for option in re.findall(r"--mount=(\S+)", run):
        fields = dict((part + "=").split("=")[:2] for part in option.split(","))
        if fields.get("type") == "bind" and "from" not in fields:
            source = fields.get("source") or fields.get("src") or ""
            sources.append(source.removeprefix("./").rstrip("/"))
    return sources


def _glob(pattern: str) -> re.Pattern:
    """A COPY source pattern as the builder reads it: ``*`` and ``?`` never cross a ``/``."""
    return re.compile(re.escape(pattern).replace(r"\*", "[^/]*").replace(r"\?", "[^/]"))


def _copy_words(value: str) -> list[str]:
    """A COPY/ADD's words: its JSON array form, else split on whitespace."""
    if value.lstrip().startswith("["):
        try:
            return [str(word) for word in json.loads(value[value.index("[") :])]
        except ValueError:
            pass
    return value.split()


def _edits(
    copy, dockerfile, text, needed, target, tag, client, progress
) -> tuple[list[CacheEdit], list[str]]:
    """Rebuild after a fresh source edit and, when a manifest is found, a dependency edit, each on a
    file the target's stages copy from the context; a note for an edit no such file exists for."""
    sent = copied_from_context(text, needed, sent_paths(copy, dockerfile))
    source = next(
        (
            p
            for p in sent
            if Path(p).suffix in _SOURCES
            and not set(Path(p).parts) & _SKIP_DIRS
            and Path(p).name not in MANIFESTS
        ),
        None,
    )
    manifest = next((p for p in sent if Path(p).name in MANIFESTS and p.count("/") <= 1), None)
    files = {kind: path for kind, path in (("source edit", source), ("dependency edit", manifest)) if path}
    notes = []
    if source is None:
        notes.append("no source edit was measured: the target's stages copy no source file from the context")
    # A tag of their own: on the containerd image store, an image whose only tag moves to a
    # rebuild is gone, and the analysis still reads the unedited image afterwards.
    rebuilt = rebuild_after_edits(
        copy, dockerfile, files, client=client, progress=progress, target=target, tag=f"{tag}-edited"
    )
    return [
        CacheEdit(
            kind,
            files[kind],
            [s.instruction for s in report.steps if s.does_work and not s.cached],
            report.seconds,
        )
        for kind, report in rebuilt.items()
    ], notes


def _dev_packages(client: docker.DockerClient, context: Path, image: str) -> int | None:
    """Development packages in the final image's node_modules, when the project has a lockfile."""
    lock = context / "package-lock.json"
    if not lock.is_file():
        return None
    roots = [
        p
        for p, _ in largest_paths(client, image, depth=2, top=50).itertuples(index=False)
        if p.endswith("/node_modules")
    ]
    if not roots:
        return None
    try:
        return node_modules(client, image, str(lock), root=roots[0]).dev_packages
    except (ValueError, KeyError):
        return None


def _start_finding(detail: str) -> tuple[str, str, str]:
    """What a final image that fails to start most likely lacks, and the lesson that covers it."""
    said = f"the final image fails to start: {detail}"
    if re.search(r"exec[^:]*: [^:]*:? ?no such file or directory|exec user process caused", detail):
        return (
            said + " — a dynamically linked program whose C library (its loader) the image lacks",
            "build a static binary (Go: `CGO_ENABLED=0`) or start the final stage from a base with that C library",
            "02",
        )
    if "x509" in detail or "certificate" in detail:
        return (said, "copy the CA bundle into the final image", "02")
    return (
        said,
        "copy what the program needs at run time into the final stage, or start it from a base that has it",
        "02, 03",
    )


#: What a rule found: (code, what was measured that triggered it, the fix, the notebook that teaches it).
_Found = tuple[str, str, str, str]


def _rule_start_failed(analysis: Analysis) -> Iterator[_Found]:
    if analysis.start is not None and analysis.start.outcome == "failed":
        said, fix, notebook = _start_finding(analysis.start.detail)
        if (analysis.bases["requested"] != analysis.bases["used"]).any():
            said += (
                " (built on local stand-ins, whose C library or file layout may differ from the images "
                "named: see what differs, and check on the official profile before changing the Dockerfile)"
            )
        yield "start-failed", said, fix, notebook


def _rule_compilers(analysis: Analysis) -> Iterator[_Found]:
    if analysis.final.compilers:
        yield (
            "compilers",
            f"the final image carries compilers ({', '.join(analysis.final.compilers)})",
            "build in an earlier stage and copy only the results into a runtime image",
            "02",
        )


def _rule_install_rerun(analysis: Analysis) -> Iterator[_Found]:
    for edit in analysis.edits:
        if edit.edit == "source edit" and any(_INSTALL.search(step) for step in edit.rerun):
            yield (
                "install-rerun",
                f"a source edit ({edit.file}) installs the dependencies again ({edit.seconds:.1f} s)",
                "copy the dependency manifests and install before copying the sources",
                "01, 06",
            )


def _rule_dev_packages(analysis: Analysis) -> Iterator[_Found]:
    if analysis.dev_packages:
        yield (
            "dev-packages",
            f"node_modules in the final image holds {analysis.dev_packages} development packages",
            "install production dependencies only (`npm ci --omit=dev`) for the final image",
            "01",
        )


def _rule_root(analysis: Analysis) -> Iterator[_Found]:
    if analysis.final.runs_as_root:
        yield (
            "root",
            "the final image runs as root (no USER)",
            "add a non-root USER to the final stage",
            "03, 06",
        )


def _rule_from_index(analysis: Analysis) -> Iterator[_Found]:
    numeric = sorted(
        {copy_source(i.value) or "" for i in copies_by_position(analysis.report.dockerfile_text)}
    )
    if numeric:
        yield (
            "from-index",
            f"COPY --from={', --from='.join(numeric)} refers to stages by position",
            "name the stages (`FROM … AS build`) and copy `--from=build`",
            "06",
        )


def _rule_unneeded_test(analysis: Analysis) -> Iterator[_Found]:
    unneeded = [
        s.label for s in analysis.stages if s.index not in analysis.needed and "test" in s.label.lower()
    ]
    if unneeded:
        yield (
            "unneeded-test",
            f"the target does not need the stage {', '.join(unneeded)}: BuildKit (and Buildah) skip it, "
            "tests included",
            "make the final stage copy its artefact from the test stage",
            "04",
        )


def _rule_no_dockerignore(analysis: Analysis) -> Iterator[_Found]:
    if analysis.unignored_mb is None and analysis.context_mb > 1:
        yield (
            "no-dockerignore",
            f"no .dockerignore: {analysis.context_mb:.1f} MB of context is sent on every build",
            "add a .dockerignore for what the build does not need",
            "06",
        )


def _rule_shell(analysis: Analysis) -> Iterator[_Found]:
    final = analysis.final
    if final.shell and final.package_managers:
        yield (
            "shell",
            f"the final image has a shell ({final.shell}) and package managers ({', '.join(final.package_managers)})",
            "a runtime without them (distroless, or scratch for a static binary) ships less",
            "02, 06",
        )


def _rule_no_cache_mount(analysis: Analysis) -> Iterator[_Found]:
    unmounted: set[str] = set()
    for edit in analysis.edits:
        compiled = [s for s in edit.rerun if _COMPILE.search(s) and "--mount=type=cache" not in s]
        if compiled and edit.seconds > 5 and compiled[0] not in unmounted:
            unmounted.add(compiled[0])
            yield (
                "no-cache-mount",
                f"after a {edit.edit}, `{compiled[0][:60]}` ran again without a cache mount ({edit.seconds:.1f} s)",
                "mount the compiler's or package manager's cache (`RUN --mount=type=cache,…`)",
                "07",
            )


def _rule_hadolint(analysis: Analysis) -> Iterator[_Found]:
    lint = serious(analysis.lint)
    if len(lint):
        yield (
            "hadolint",
            f"hadolint reports {_count(len(lint), 'warning or error', 'warnings or errors')} "
            f"({', '.join(sorted(set(lint['code'])))})",
            "fix them or say why not in a comment",
            "06",
        )


#: The rules, most important first: a final image that cannot start, then what it ships, then
#: what slows rebuilds, then style.
RULES = (
    _rule_start_failed,
    _rule_compilers,
    _rule_install_rerun,
    _rule_dev_packages,
    _rule_root,
    _rule_from_index,
    _rule_unneeded_test,
    _rule_no_dockerignore,
    _rule_shell,
    _rule_no_cache_mount,
    _rule_hadolint,
)


def rank_findings(analysis: Analysis) -> list[Finding]:
    """Concrete recommendations, most important first, each with what was measured that triggered it."""
    found = [item for rule in RULES for item in rule(analysis)]
    return [Finding(rank, *item) for rank, item in enumerate(found, 1)]
