"""The document's claims judged from what the notebooks measured: holds, holds partly, or does not hold.

Notebook 00 judges the four benefits, notebook 06 the six best practices, each from the
results of its own cells, one function per claim (its rule in its docstring); the verdicts are
shown in the notebook and, under ``make run``, collected into the report page's claims table
(through :data:`CLAIMS_FILE`).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd

from . import settings
from .edits import ScenarioSet
from .experiments.overview import BuilderPattern, SecretLeak
from .labels import LOCAL_NAMESPACE
from .results import BuildReport, ratio_text

__all__ = [
    "CLAIMS_FILE",
    "HOLDS",
    "HOLDS_PARTLY",
    "NOT_HOLDS",
    "Claim",
    "better_security",
    "dependencies_first",
    "dockerignore",
    "faster_builds",
    "judge_benefits",
    "judge_practices",
    "named_stages",
    "read_claims",
    "simplified_dockerfile",
    "small_final_image",
    "smaller_images",
    "stage_for_testing",
    "stages_by_change",
]

#: Environment variable naming a file where each judged claim is appended as one JSON line.
CLAIMS_FILE = settings.CLAIMS_FILE.name

HOLDS, HOLDS_PARTLY, NOT_HOLDS = "holds", "holds partly", "does not hold"


@dataclass(frozen=True)
class Claim:
    """One claim of the document and its verdict on this machine.

    Attributes:
        claim: The claim, in the document's words.
        verdict: :data:`HOLDS`, :data:`HOLDS_PARTLY` or :data:`NOT_HOLDS`.
        evidence: The measured numbers behind the verdict.
        notebook: The notebook that measured it (file stem).
        section: The heading of the section that measured it (the link target).
    """

    claim: str
    verdict: str
    evidence: str
    notebook: str
    section: str


def _table(claims: list[Claim], profile: str) -> pd.DataFrame:
    """Show the verdicts as a table, each with the base images it was measured on (``profile``,
    the builds' profile label); under ``make run``, also append them to :data:`CLAIMS_FILE`."""
    claims = [replace(claim, evidence=f"{claim.evidence}; base images: {profile}") for claim in claims]
    path = settings.CLAIMS_FILE.value()
    if path:
        with contextlib.suppress(OSError), open(path, "a") as handle:
            handle.writelines(json.dumps(asdict(claim)) + "\n" for claim in claims)
    return pd.DataFrame([asdict(c) for c in claims]).set_index("claim")[["verdict", "evidence"]]


def read_claims(path: Path) -> list[Claim]:
    """The claims appended to ``path``, the last verdict of each claim (a notebook may run twice)."""
    if not Path(path).is_file():
        return []
    latest = {}
    for line in Path(path).read_text().splitlines():
        claim = Claim(**json.loads(line))
        latest[claim.claim] = claim
    return list(latest.values())


_BENEFITS = "00-overview-and-benefits"
_PRACTICES = "06-best-practices"


def judge_benefits(
    reports: dict[str, dict[str, BuildReport]],
    inside: pd.DataFrame,
    leak: SecretLeak,
    pattern: BuilderPattern,
    cold: BuildReport,
    edits: ScenarioSet,
    speed: pd.DataFrame,
) -> pd.DataFrame:
    """Notebook 00: the four benefits, each judged from the cells that measured it.

    Args:
        reports: App -> {"one stage": report, "multi-stage": report}.
        inside: :func:`~multistage.contents.facts_table` of those images, indexed "app / label".
        leak: The secret experiment.
        pattern: The builder pattern beside the multi-stage build.
        cold: The cold build of the Go app; ``edits`` its rebuilds ("no change", "source edit").
        speed: :func:`~multistage.experiments.overview.one_stage_or_multi_stage_speed`.
    """
    claims = [
        smaller_images(reports),
        better_security(inside.loc[[f"{app} / multi-stage" for app in reports]], leak),
        simplified_dockerfile(pattern),
        faster_builds(cold, edits.rebuilds["no change"], speed),
    ]
    return _table(claims, cold.profile_label)


def smaller_images(reports: dict[str, dict[str, BuildReport]]) -> Claim:
    """Holds when every app's multi-stage image is smaller than its one-stage image."""
    ratios = {app: pair["one stage"].size / pair["multi-stage"].size for app, pair in reports.items()}
    return Claim(
        "Smaller images",
        HOLDS if all(r > 1 for r in ratios.values()) else NOT_HOLDS,
        "multi-stage " + ", ".join(f"{app} {ratio_text(r)}" for app, r in ratios.items()) + " smaller",
        _BENEFITS,
        "Smaller images",
    )


def better_security(finals: pd.DataFrame, leak: SecretLeak) -> Claim:
    """Does not hold when a multi-stage image (a row of ``finals``, a facts table) has a compiler or
    the deleted secret was not kept out of it; holds partly when one has a shell, a package manager
    or runs as root."""
    compilers = int((finals["compilers"] != "none").sum())
    shells = int((finals["shell"] != "none").sum())
    managers = int((finals["package_managers"] != "none").sum())
    root = int((finals["user"] == "root").sum())
    secret_kept = not leak.multi_hits and leak.recovered_from_single
    if compilers or not secret_kept:
        verdict = NOT_HOLDS
    else:
        verdict = HOLDS if not (shells or managers or root) else HOLDS_PARTLY
    return Claim(
        "Better security",
        verdict,
        f"of {len(finals)} multi-stage images: {compilers} with a compiler, {shells} with a shell, "
        f"{managers} with a package manager, {root} running as root; a deleted secret "
        + ("stayed in the one-stage image only" if secret_kept else "was not kept out"),
        _BENEFITS,
        "Better security",
    )


def simplified_dockerfile(pattern: BuilderPattern) -> Claim:
    """Holds when the multi-stage build needs fewer files and fewer commands than the builder
    pattern for an image of the same files and (within 5 %) the same size."""
    files = (len(pattern.files["multi-stage"]), len(pattern.files["builder pattern"]))
    commands = (len(pattern.commands["multi-stage"]), len(pattern.commands["builder pattern"]))
    same = not any(pattern.only_in.values()) and (
        abs(pattern.run_image.size - pattern.multi_stage.size) < 0.05 * pattern.multi_stage.size
    )
    return Claim(
        "Simplified Dockerfile",
        HOLDS if files[0] < files[1] and commands[0] < commands[1] and same else NOT_HOLDS,
        f"{files[0]} file and {commands[0]} command against {files[1]} files and {commands[1]} "
        "commands, " + ("an image of the same files and size" if same else "a different image"),
        _BENEFITS,
        "Simplified Dockerfile",
    )


def faster_builds(cold: BuildReport, unchanged: BuildReport, speed: pd.DataFrame) -> Claim:
    """Holds when an unchanged rebuild is all cache, and after a source edit the multi-stage build
    is faster (under 0.8 of the one-stage rebuild) and its image lighter to move; holds partly
    with one of the cache and the lighter image."""
    single, multi = speed.loc["one stage"], speed.loc["multi-stage"]
    cached = unchanged.cached_share == 1.0
    faster_rebuild = multi["rebuild_s"] < 0.8 * single["rebuild_s"]
    lighter = multi["export_mb"] < single["export_mb"]
    if cached and faster_rebuild and lighter:
        verdict = HOLDS
    else:
        verdict = HOLDS_PARTLY if cached or lighter else NOT_HOLDS
    return Claim(
        "Faster builds",
        verdict,
        f"Go: unchanged rebuild {unchanged.seconds:.1f} s against {cold.seconds:.1f} s cold (one-stage builds "
        f"are cached alike); Node: after a source edit one stage {single['rebuild_s']:.1f} s, multi-stage "
        f"{multi['rebuild_s']:.1f} s, image to move {multi['export_mb']:.0f} MB against "
        f"{single['export_mb']:.0f} MB",
        _BENEFITS,
        "Faster builds",
    )


def judge_practices(
    final_images: pd.DataFrame,
    stage_order: ScenarioSet,
    orders: dict[str, ScenarioSet],
    ignore: pd.DataFrame,
    references: list[pd.DataFrame],
    tested: BuildReport,
    by_order: pd.DataFrame,
) -> pd.DataFrame:
    """Notebook 06: the six best practices, each judged from the section that measured it.

    Args:
        final_images: :func:`~multistage.experiments.best_practices.runtimes`.
        stage_order: ``Dockerfile.stages`` rebuilt after a source edit.
        orders: :func:`~multistage.experiments.best_practices.orderings`.
        ignore: :func:`~multistage.experiments.best_practices.dockerignore_effect`.
        references: :func:`~multistage.experiments.best_practices.stage_references`' tables, the
            inserted stage's (before the exercise) and the named fix's (after it).
        tested: ``python/Dockerfile.best`` built for production.
        by_order: :func:`~multistage.experiments.best_practices.stage_orders`.
    """
    claims = [
        small_final_image(final_images),
        stages_by_change(stage_order.rebuilds["source edit"], by_order),
        dependencies_first(orders),
        dockerignore(ignore),
        named_stages(pd.concat(references)["release binary"]),
        stage_for_testing(tested),
    ]
    return _table(claims, tested.profile_label)


def small_final_image(final_images: pd.DataFrame) -> Claim:
    """Holds when every final image served ``/health`` and slim is smaller than full (holds partly
    on local stand-ins of those bases)."""
    sizes = final_images["size_mb"]
    working = bool((final_images["health"] == 200).all())
    stand_ins = final_images["base used"].str.startswith(f"{LOCAL_NAMESPACE}/").any()
    smaller = working and sizes["slim"] < sizes["full"]
    return Claim(
        "Use official slim or alpine base images for the final stage",
        (HOLDS_PARTLY if stand_ins else HOLDS) if smaller else NOT_HOLDS,
        f"the same binary on full {sizes['full']:.0f} MB, slim {sizes['slim']:.0f} MB, "
        f"minimal (alpine) {sizes['minimal (alpine)']:.1f} MB, distroless {sizes['distroless']:.1f} MB, "
        f"scratch {sizes['scratch']:.1f} MB; all served /health"
        + (" (local stand-ins of those bases, not the official images)" if stand_ins else "")
        + "; distroless and scratch were smaller still",
        _PRACTICES,
        "1. A small final image",
    )


def stages_by_change(edited: BuildReport, by_order: pd.DataFrame) -> Claim:
    """Holds partly when the ``dependencies`` stage stayed cached after a source edit (``edited``);
    the evidence adds what each builder did with ``test`` before and after ``production``."""
    kept = all(step.cached for step in edited.steps_in("dependencies"))
    return Claim(
        "Order stages from least to most frequently changing",
        HOLDS_PARTLY if kept else NOT_HOLDS,
        f"after a source edit the dependencies stage was {'cached' if kept else 'rebuilt'} "
        f"(rebuild {edited.seconds:.1f} s); `test` moved after `production`, for --target production: "
        + "; ".join(
            f"{builder} {by_order.loc[('test before production', builder), 'test']} before, "
            f"{by_order.loc[('test after production', builder), 'test']} after"
            for builder in by_order.index.get_level_values("builder").unique()
        ),
        _PRACTICES,
        "2. Order stages, and steps, from least to most frequently changing",
    )


def dependencies_first(orders: dict[str, ScenarioSet]) -> Claim:
    """Holds when, after a source edit, ``npm install`` stayed cached in every dependencies-first
    order and ran again in every source-first one."""
    pairs = [
        (orders[name], orders[name.replace("dependencies first", "source first")])
        for name in orders
        if name.startswith("dependencies first")
    ]
    install = "RUN npm install"
    good = all(g.rebuilds["source edit"].step_starting(install).cached for g, _ in pairs)
    bad = all(not b.rebuilds["source edit"].step_starting(install).cached for _, b in pairs)
    first_good, first_bad = pairs[0]
    return Claim(
        "Leverage build cache by copying dependency files before source code",
        HOLDS if good and bad else NOT_HOLDS,
        f"after a source edit ({first_good.baseline.builder}): dependencies first "
        f"{first_good.rebuilds['source edit'].seconds:.1f} s with npm install cached, source first "
        f"{first_bad.rebuilds['source edit'].seconds:.1f} s reinstalling",
        _PRACTICES,
        "3. Dependency files before source code",
    )


def dockerignore(ignore: pd.DataFrame) -> Claim:
    """Holds when ``.dockerignore`` made the context smaller and an ignored file's edit reran nothing."""
    with_ignore, without = ignore.loc["with .dockerignore"], ignore.loc["without"]
    return Claim(
        "Use .dockerignore to exclude unnecessary files",
        HOLDS
        if with_ignore["context_mb"] < without["context_mb"] and with_ignore["cached_share"] == 1.0
        else NOT_HOLDS,
        f"context {with_ignore['context_mb']:.1f} MB against {without['context_mb']:.0f} MB; an ignored "
        f"file's edit reran {'nothing' if with_ignore['cached_share'] == 1.0 else 'steps'}",
        _PRACTICES,
        "4. .dockerignore",
    )


def named_stages(shipped: pd.Series) -> Claim:
    """Holds when, after a stage was inserted, ``COPY --from=0`` shipped the wrong binary and
    ``COPY --from=build`` the release one (``shipped``: Dockerfile -> shipped the release binary)."""
    index_shipped_debug = not shipped["stage-names/Dockerfile.index-inserted"]
    named_kept = shipped["stage-names/Dockerfile.named-inserted"]
    return Claim(
        "Name stages for clarity when copying artifacts",
        HOLDS if index_shipped_debug and named_kept else NOT_HOLDS,
        "after a stage was inserted, COPY --from=0 "
        + ("silently shipped the debug binary" if index_shipped_debug else "still shipped the release binary")
        + ", COPY --from=build "
        + ("the release binary" if named_kept else "the wrong binary"),
        _PRACTICES,
        "5. `COPY --from=0` after an inserted stage",
    )


def stage_for_testing(tested: BuildReport) -> Claim:
    """Holds partly when the production build included the test stage's steps."""
    test_steps = tested.steps_in("test")
    return Claim(
        "Consider using a specific stage for testing",
        HOLDS_PARTLY if test_steps else NOT_HOLDS,
        f"python/Dockerfile.best: its production build included the test stage's {len(test_steps)} steps "
        f"({sum(not s.cached for s in test_steps)} ran, {sum(s.cached for s in test_steps)} from the cache), "
        "because production copies from `test`; a builder that skips unneeded stages (notebook 04) leaves out "
        "a test stage nothing copies from",
        _PRACTICES,
        "6. A stage for testing",
    )
