"""Any Dockerfile's literal bases mapped to the local stand-ins, in a copy of its text (no engine needed)."""

import pytest

from multistage.bases import map_reference, normalise, rewrite_bases
from multistage.errors import BaseImageUnavailable
from multistage.profiles import LOCAL, OFFICIAL, UV_VERSION


@pytest.mark.parametrize(
    ("ref", "family"),
    [
        ("node:20-alpine", "node slim/alpine"),
        ("node:20-bookworm", "node"),
        ("docker.io/library/python:3.12-slim@sha256:" + "0" * 64, "python slim"),
        ("python:3.12", "python"),
        ("golang:1.22-alpine", "golang"),
        ("alpine:3.19", "alpine"),
        ("debian:12-slim", "debian"),
        ("nginx:1.25-alpine", "nginx"),
        ("gcr.io/distroless/static-debian12:nonroot", "distroless static"),
        ("gcr.io/distroless/static-debian11", "distroless static"),
        ("gcr.io/distroless/base-debian12:nonroot", "distroless base/cc"),
        ("gcr.io/distroless/cc-debian11", "distroless base/cc"),
        ("gcc:6", "gcc"),
        ("gcc:14.2", "gcc"),
        ("rust:1", "rust"),
        ("rust:1.83-slim-bookworm", "rust"),
    ],
)
def test_each_family_has_a_stand_in(ref, family):
    mapped = map_reference(ref, LOCAL)
    assert mapped.family == family
    assert mapped.used.startswith("multistage-local/")


def test_what_differs_names_the_version_and_the_c_library():
    assert map_reference("golang:1.22-alpine", LOCAL).differs == (
        "stand-in has Go 1.26; libc: musl requested, glibc used"
    )
    assert map_reference("golang:1.21-alpine", LOCAL).differs.startswith("stand-in has Go 1.21")
    assert map_reference("alpine:3.19", LOCAL).differs == "stand-in has busybox and musl"


def test_a_document_image_says_what_its_stand_in_changes_too():
    mapped = map_reference("node:18-alpine", LOCAL)
    assert mapped.used == "multistage-local/node-runtime:18"
    assert mapped.differs == "stand-in has Node 18; libc: musl requested, glibc used"


def test_an_unknown_base_gets_one_sentence_listing_what_can_stand_in():
    with pytest.raises(BaseImageUnavailable) as caught:
        map_reference("ubuntu:22.04", LOCAL)
    message = str(caught.value)
    assert message.startswith("ubuntu:22.04 has no local stand-in") and "golang" in message
    assert "\n" not in message


def test_the_official_profile_keeps_every_base_as_written():
    text = "FROM ubuntu:22.04 AS build\nFROM scratch\nCOPY --from=build /x /x\n"
    assert rewrite_bases(text, OFFICIAL).text == text


def test_a_real_world_dockerfile_is_rewritten_without_touching_stages_or_scratch():
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG BASE=python:3.12-slim\n"
        "FROM --platform=$BUILDPLATFORM golang:1.22-alpine as build\n"
        "RUN go build -o /app .\n"
        "FROM ${BASE}\n"
        "COPY --from=build /app /app\n"
        "COPY --from=nginx:1.25 /etc/nginx/nginx.conf /x\n"
        "FROM scratch\n"
        "COPY --from=0 /app /app\n"
    )
    rewritten = rewrite_bases(text, LOCAL)
    lines = rewritten.text.splitlines()
    assert lines[0].startswith("# (syntax line left out") and rewritten.notes
    assert lines[1] == "ARG BASE=multistage-local/python-runtime:3.13"
    assert lines[2] == "FROM --platform=$BUILDPLATFORM multistage-local/go-builder:1.26 as build"
    assert lines[4] == "FROM ${BASE}" and lines[5] == "COPY --from=build /app /app"
    assert lines[6] == "COPY --from=multistage-local/nginx:bookworm /etc/nginx/nginx.conf /x"
    assert lines[7:] == ["FROM scratch", "COPY --from=0 /app /app"]
    assert list(rewritten.table()["requested"]) == ["python:3.12-slim", "golang:1.22-alpine", "nginx:1.25"]


def test_a_version_arg_inside_from_is_resolved_before_mapping():
    text = "ARG GO_VERSION=1.22\nFROM golang:${GO_VERSION}-alpine AS build\nFROM alpine:$ALPINE\n"
    rewritten = rewrite_bases(text, LOCAL)
    assert rewritten.text.splitlines()[1] == "FROM multistage-local/go-builder:1.26 AS build"
    assert rewritten.table()["requested"].tolist() == ["golang:1.22-alpine"]
    assert rewritten.text.splitlines()[2] == "FROM alpine:$ALPINE", (
        "an ARG with no default is left to the build"
    )


def test_normalise_drops_registry_library_and_digest():
    assert normalise("docker.io/library/node:20@sha256:abc") == "node:20"


def test_a_node_alpine_stage_that_runs_npm_gets_the_builder_stand_in():
    text = "FROM node:20-alpine AS build\nRUN npm ci\nFROM node:20-alpine\nCOPY --from=build /app /app\n"
    lines = rewrite_bases(text, LOCAL).text.splitlines()
    assert lines[0] == "FROM multistage-local/node-builder:20 AS build", "the runtime stand-in has no npm"
    assert lines[2] == "FROM multistage-local/node-runtime:20"


def test_a_document_node_alpine_stage_that_runs_npm_gets_the_builder_stand_in():
    mapped = map_reference("node:18-alpine", LOCAL, builds_with_npm=True)
    assert mapped.used == LOCAL.images["node:18"]
    assert "runs npm" in mapped.differs


def test_only_args_that_name_a_whole_base_are_swapped_and_a_mirror_prefix_is_docker_hub():
    text = (
        "ARG BUILDPLATFORM=linux/amd64\n"
        "ARG BASE_PREFIX=mirror.gcr.io/library/\n"
        "ARG RUNTIME=alpine:3\n"
        "FROM --platform=$BUILDPLATFORM ${BASE_PREFIX}golang:1.22 AS builder\n"
        "FROM ${RUNTIME}\n"
        "COPY --from=builder /app /app\n"
    )
    rewritten = rewrite_bases(text, LOCAL).text.splitlines()
    assert (
        rewritten[0] == "ARG BUILDPLATFORM=linux/amd64"
        and rewritten[1] == "ARG BASE_PREFIX=mirror.gcr.io/library/"
    )
    assert rewritten[2] == f"ARG RUNTIME={LOCAL.images['alpine:latest']}"
    assert rewritten[3] == "FROM --platform=$BUILDPLATFORM multistage-local/go-builder:1.26 AS builder"


def test_an_arg_named_in_copy_from_is_swapped_like_a_from_line():
    text = "ARG RT=alpine:3\nFROM scratch\nCOPY --from=${RT} /etc/ssl/certs /etc/ssl/certs\n"
    assert rewrite_bases(text, LOCAL).text.splitlines()[0] == f"ARG RT={LOCAL.images['alpine:latest']}"


@pytest.mark.parametrize(
    ("ref", "used"),
    [
        ("golang:1.19", "multistage-local/go-builder:1.21"),
        ("golang:1.21.13-bookworm", "multistage-local/go-builder:1.21"),
        ("golang:1.23", "multistage-local/go-builder:1.26"),
        ("golang:1.27-alpine", "multistage-local/go-builder:1.26"),
        ("golang:alpine", "multistage-local/go-builder:1.26"),
        ("python:3", "multistage-local/python-builder:3.13"),
        ("python:3.10-slim", "multistage-local/python-runtime:3.11"),
        ("python:3.12-slim-bookworm", "multistage-local/python-runtime:3.13"),
        ("node:22", "multistage-local/node-builder:20"),
        ("node:lts-alpine", "multistage-local/node-runtime:20"),
        ("node:16-alpine", "multistage-local/node-runtime:18"),
        ("gcr.io/distroless/python3-debian12", "multistage-local/distroless-python3:bookworm"),
        ("gcr.io/distroless/python3-debian13", "multistage-local/distroless-python3:trixie"),
        ("gcr.io/distroless/nodejs18-debian11", "multistage-local/distroless-nodejs:18"),
        ("gcr.io/distroless/nodejs22-debian13", "multistage-local/distroless-nodejs:20"),
        ("ghcr.io/astral-sh/uv:latest", f"multistage-local/uv:{UV_VERSION}"),
        (
            "ghcr.io/astral-sh/uv:python3.12-bookworm-slim",
            f"multistage-local/uv-python:{UV_VERSION}-python3.13",
        ),
    ],
)
def test_a_newer_version_gets_the_current_stand_in_and_an_older_one_the_tutorials(ref, used):
    assert map_reference(ref, LOCAL).used == used
