"""Each claim's rule, fed evidence that supports it and evidence that contradicts it: a verdict
in notebooks 00 and 06 can come out "does not hold"."""

import pandas as pd
import pytest

from multistage.claims import (
    HOLDS,
    HOLDS_PARTLY,
    NOT_HOLDS,
    better_security,
    dependencies_first,
    dockerignore,
    faster_builds,
    named_stages,
    simplified_dockerfile,
    small_final_image,
    smaller_images,
    stage_for_testing,
    stages_by_change,
)
from multistage.edits import ScenarioSet
from multistage.experiments.overview import BuilderPattern, SecretLeak
from multistage.listings import LayerHit
from multistage.results import BuildReport, Step


def report(size=1_000_000, seconds=1.0, steps=()):
    return BuildReport(
        "sha256:x", [], size, "buildkit", "local", "Dockerfile", ".", None, seconds, list(steps)
    )


def step(number, stage_name, instruction, cached):
    return Step(number, 1, stage_name, instruction, cached, 0.1)


@pytest.mark.parametrize(("multi_size", "verdict"), [(10, HOLDS), (2_000_000, NOT_HOLDS)])
def test_smaller_images(multi_size, verdict):
    reports = {"go": {"one stage": report(1_000_000), "multi-stage": report(multi_size)}}
    assert smaller_images(reports).verdict == verdict


def facts(compilers="none", shell="none", user="app"):
    return pd.DataFrame(
        [{"compilers": compilers, "shell": shell, "package_managers": "none", "user": user}],
        index=["go / multi-stage"],
    )


def leak(in_multi):
    hit = LayerHit(1, "token.txt", b"secret")
    return SecretLeak("secret", report(), report(), [hit], [hit] if in_multi else [])


@pytest.mark.parametrize(
    ("finals", "in_multi", "verdict"),
    [
        (facts(), False, HOLDS),
        (facts(shell="sh"), False, HOLDS_PARTLY),
        (facts(user="root"), False, HOLDS_PARTLY),
        (facts(compilers="gcc"), False, NOT_HOLDS),
        (facts(), True, NOT_HOLDS),
    ],
)
def test_better_security(finals, in_multi, verdict):
    assert better_security(finals, leak(in_multi)).verdict == verdict


def pattern(only_in=(), run_size=2_000_000, multi_files=1):
    return BuilderPattern(
        build_image=report(300_000_000),
        run_image=report(run_size),
        multi_stage=report(2_000_000),
        files={
            "multi-stage": ["Dockerfile"] * multi_files,
            "builder pattern": ["Dockerfile.build", "Dockerfile.run", "build.sh"],
        },
        commands={
            "multi-stage": ["docker build"],
            "builder pattern": ["docker build", "docker create", "docker cp"],
        },
        paths=12,
        only_in={"multi-stage": list(only_in), "builder pattern": []},
        binary_bytes={"multi-stage": 1_500_000, "builder pattern": 1_500_000},
    )


@pytest.mark.parametrize(
    ("evidence", "verdict"),
    [
        (pattern(), HOLDS),
        (pattern(only_in=["/etc/ssl/certs/ca-certificates.crt"]), NOT_HOLDS),
        (pattern(run_size=3_000_000), NOT_HOLDS),
        (pattern(multi_files=3), NOT_HOLDS),
    ],
)
def test_simplified_dockerfile(evidence, verdict):
    assert simplified_dockerfile(evidence).verdict == verdict


def speed(single_rebuild, multi_rebuild, single_mb, multi_mb):
    return pd.DataFrame(
        {"rebuild_s": [single_rebuild, multi_rebuild], "export_mb": [single_mb, multi_mb]},
        index=["one stage", "multi-stage"],
    )


@pytest.mark.parametrize(
    ("cached", "numbers", "verdict"),
    [
        (True, (10.0, 2.0, 300, 20), HOLDS),
        (True, (10.0, 9.0, 300, 20), HOLDS_PARTLY),
        (False, (10.0, 9.0, 300, 20), HOLDS_PARTLY),
        (False, (10.0, 2.0, 20, 300), NOT_HOLDS),
    ],
)
def test_faster_builds(cached, numbers, verdict):
    unchanged = report(steps=[step(2, None, "RUN go build", cached)])
    assert faster_builds(report(seconds=30.0), unchanged, speed(*numbers)).verdict == verdict


def final_images(health=200, slim_mb=50.0, base="multistage-local/debian-slim:bookworm"):
    rows = {
        "full": (900.0, 200),
        "slim": (slim_mb, health),
        "minimal (alpine)": (10.0, 200),
        "distroless": (8.0, 200),
        "scratch": (7.0, 200),
    }
    return pd.DataFrame(
        [{"size_mb": mb, "health": code, "base used": base} for mb, code in rows.values()], index=list(rows)
    )


@pytest.mark.parametrize(
    ("images", "verdict"),
    [
        (final_images(base="debian:bookworm-slim"), HOLDS),
        (final_images(), HOLDS_PARTLY),
        (final_images(health=500), NOT_HOLDS),
        (final_images(slim_mb=950.0), NOT_HOLDS),
    ],
)
def test_small_final_image(images, verdict):
    assert small_final_image(images).verdict == verdict


@pytest.mark.parametrize(("cached", "verdict"), [(True, HOLDS_PARTLY), (False, NOT_HOLDS)])
def test_stages_by_change(cached, verdict):
    edited = report(
        steps=[step(2, "dependencies", "RUN npm ci", cached), step(5, "build", "COPY . .", False)]
    )
    by_order = pd.DataFrame(
        {"test": ["built", "skipped"]},
        index=pd.MultiIndex.from_tuples(
            [("test before production", "buildkit"), ("test after production", "buildkit")],
            names=["order", "builder"],
        ),
    )
    assert stages_by_change(edited, by_order).verdict == verdict


def order(install_cached):
    edited = report(steps=[step(3, None, "RUN npm install", install_cached)])
    return ScenarioSet("node", "Dockerfile", report(), {"source edit": edited})


@pytest.mark.parametrize(
    ("good_cached", "bad_cached", "verdict"),
    [(True, False, HOLDS), (False, False, NOT_HOLDS), (True, True, NOT_HOLDS)],
)
def test_dependencies_first(good_cached, bad_cached, verdict):
    orders = {"dependencies first (node)": order(good_cached), "source first (node)": order(bad_cached)}
    assert dependencies_first(orders).verdict == verdict


@pytest.mark.parametrize(
    ("context_mb", "cached_share", "verdict"),
    [(0.1, 1.0, HOLDS), (0.1, 0.5, NOT_HOLDS), (30.0, 1.0, NOT_HOLDS)],
)
def test_dockerignore(context_mb, cached_share, verdict):
    ignore = pd.DataFrame(
        {"context_mb": [context_mb, 20.0], "cached_share": [cached_share, 0.5]},
        index=["with .dockerignore", "without"],
    )
    assert dockerignore(ignore).verdict == verdict


@pytest.mark.parametrize(
    ("index_release", "named_release", "verdict"),
    [(False, True, HOLDS), (True, True, NOT_HOLDS), (False, False, NOT_HOLDS)],
)
def test_named_stages(index_release, named_release, verdict):
    shipped = pd.Series(
        {
            "stage-names/Dockerfile.index-inserted": index_release,
            "stage-names/Dockerfile.named-inserted": named_release,
        }
    )
    assert named_stages(shipped).verdict == verdict


def test_a_stage_for_testing_holds_partly_when_production_included_it_and_not_otherwise():
    included = report(
        steps=[step(4, "test", "RUN pytest", True), step(6, "production", "COPY --from=test", False)]
    )
    assert stage_for_testing(included).verdict == HOLDS_PARTLY
    assert "1 steps (0 ran, 1 from the cache)" in stage_for_testing(included).evidence
    assert stage_for_testing(report(steps=[step(6, "production", "COPY app", False)])).verdict == NOT_HOLDS
