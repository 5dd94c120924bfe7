"""What `analyze` edits and how it reads a failed start (no engine needed)."""

from multistage.analyze import _named_obstacle, _start_finding, copied_from_context
from multistage.containers import _first_error
from multistage.dockerfile import parse_stages, reachable
from multistage.errors import BuildFailed

PATHS = [
    "backend/src/app.js",
    "backend/package.json",
    "client/src/main.ts",
    "client/package.json",
    "README.md",
]
MONOREPO = """\
FROM node:20 AS client-build
WORKDIR /client
COPY client/package.json ./
RUN npm install
COPY ["client/src", "./src"]
RUN npm run build

FROM node:20 AS backend
COPY backend/ /app/
RUN npm install

FROM node:20-slim
COPY --from=backend /app /app
COPY --from=client-build /client/dist /app/public
"""


def _copied(text: str, target: str | None) -> list[str]:
    return copied_from_context(text, reachable(parse_stages(text), target), PATHS)


def test_a_target_is_edited_only_in_the_files_its_stages_copy():
    assert _copied(MONOREPO, "client-build") == ["client/src/main.ts", "client/package.json"]
    assert _copied(MONOREPO, None) == PATHS[:4], "the final stage needs both builders"


def test_copy_dot_takes_everything_and_globs_match_as_the_builder_matches_them():
    assert _copied("FROM x\nCOPY . .\n", None) == PATHS
    assert _copied("FROM x\nCOPY */package.json ./\n", None) == [
        "backend/package.json",
        "client/package.json",
    ]
    assert _copied("FROM x\nCOPY --from=y /a /a\n", None) == [], (
        "a --from copy takes nothing from the context"
    )


def test_a_bind_mount_from_the_context_counts_as_taken_and_one_from_a_stage_does_not():
    bind = "FROM x\nRUN --mount=type=bind,source=backend/package.json,target=p.json npm ci\n"
    assert _copied(bind, None) == ["backend/package.json"]
    assert _copied("FROM x\nRUN --mount=type=bind,target=/src make\n", None) == PATHS, (
        "a bind mount without a source takes the whole context"
    )
    assert _copied("FROM x\nRUN --mount=type=bind,from=y,source=/a,target=/a ls\n", None) == []
    assert _copied("FROM x\nRUN --mount=type=cache,target=/root/.npm npm ci\n", None) == []


def test_a_glob_does_not_cross_a_directory():
    assert _copied("FROM x\nCOPY *.md ./\n", None) == ["README.md"]
    assert _copied("FROM x\nCOPY *.json ./\n", None) == []


def test_a_final_image_that_cannot_start_names_the_lesson():
    cgo = _start_finding("exit code 1: exec ./main: no such file or directory")
    assert cgo[2] == "02" and "C library" in cgo[0]
    assert _start_finding("exit code 1: x509: certificate signed by unknown authority")[1].startswith(
        "copy the CA"
    )


def test_the_first_error_line_is_the_one_that_says_what_went_wrong():
    log = "starting server\nlistening on :8080\npanic: open /etc/app.yaml: no such file\n"
    assert _first_error(log) == "panic: open /etc/app.yaml: no such file"
    assert _first_error("hello\n") == "hello" and _first_error("") == "no output"


def test_an_offline_obstacle_in_a_failing_build_is_named_in_one_sentence_before_the_log():
    failed = BuildFailed(
        "Step 4/9 `RUN go mod download` failed under the buildkit builder: exit code 1.",
        "RUN go mod download",
        [
            'go: github.com/x/y@v1.2.3: Get "https://proxy.golang.org/github.com/x/y/@v/v1.2.3.mod": dial tcp: lookup proxy.golang.org: no such host'
        ],
    )
    named = _named_obstacle(failed, stood_in=True)
    assert str(named).startswith("`go mod download` needs the Go module proxy")
    assert named.log_tail == failed.log_tail and named.step == failed.step, "the log tail still follows"
    plain = BuildFailed("Step 2/3 `RUN false` failed: exit code 1.", "RUN false", ["false"])
    assert _named_obstacle(plain, stood_in=True) is plain, "no obstacle, no sentence added"


def test_the_alpine_stand_ins_apk_refusal_is_named_as_the_obstacle():
    failed = BuildFailed(
        "Step 2/14 `RUN apk add --no-cache build-base` (line 3) failed under the buildkit builder: exit code: 1",
        "RUN apk add --no-cache build-base",
        [
            "apk (local stand-in): package 'build-base' is not available offline; use the official profile "
            "(real alpine) for it"
        ],
    )
    assert str(_named_obstacle(failed, stood_in=True)).startswith("`apk add` needs Alpine's package mirror")


def test_a_tool_the_official_node_image_has_and_the_stand_in_lacks_is_named():
    failed = BuildFailed(
        "Step 5/28 `RUN corepack enable` (line 20) failed under the buildkit builder: exit code: 127",
        "RUN corepack enable",
        ["/bin/sh: 1: corepack: not found"],
    )
    assert str(_named_obstacle(failed, stood_in=True)).startswith("the local node stand-ins have no corepack")


def test_a_tool_named_in_a_log_is_no_obstacle_without_a_network_failure():
    cargo = BuildFailed(
        "Step 6/9 `RUN cargo build --release` failed: exit code: 101",
        "RUN cargo build --release",
        ["    Updating crates.io index", "error[E0425]: cannot find value `x` in this scope"],
    )
    assert _named_obstacle(cargo, stood_in=False) is cargo, "a compile error after a crates.io update"
    npm = BuildFailed(
        "Step 5/9 `RUN npm ci` failed: exit code: 1",
        "RUN npm ci",
        ["npm WARN deprecated x@1: see https://github.com/x/x/issues/1", "src/a.ts(3,1): error TS2304"],
    )
    assert _named_obstacle(npm, stood_in=False) is npm
    offline = BuildFailed(
        "Step 5/9 `RUN npm ci` failed: exit code: 1",
        "RUN npm ci",
        ["gyp info it worked", "gyp ERR! stack Error: getaddrinfo EAI_AGAIN nodejs.org"],
    )
    assert str(_named_obstacle(offline, stood_in=False)).startswith(
        "the package install (npm or yarn) runs node-gyp"
    )
    # node-gyp's own words when the download fails, without the resolver's error in the log's tail
    # (the getting-started todo app's sqlite3, under yarn).
    yarn = BuildFailed(
        "Step 15/28 `RUN yarn install --frozen-lockfile` failed: exit code: 1",
        "RUN yarn install --frozen-lockfile",
        [
            "gyp ERR! stack Error: This is most likely not a problem with node-gyp or the package itself and",
            "gyp ERR! stack is related to network connectivity. In most cases you are behind a proxy or have bad ",
        ],
    )
    assert str(_named_obstacle(yarn, stood_in=False)).startswith(
        "the package install (npm or yarn) runs node-gyp"
    )


def test_a_stand_in_difference_is_no_obstacle_on_the_official_images():
    newer = BuildFailed(
        "Step 4/8 `RUN go mod download` failed: exit code: 1",
        "RUN go mod download",
        ["go: go.mod requires go >= 1.25 (running go 1.24.1; GOTOOLCHAIN=local)"],
    )
    assert _named_obstacle(newer, stood_in=False) is newer
    assert str(_named_obstacle(newer, stood_in=True)).startswith("the project's `go.mod` needs a newer Go")


def test_a_missing_config_file_is_not_taken_for_a_missing_loader():
    assert _start_finding("exit code 2: panic: open /etc/app.yaml: no such file or directory")[2] == "02, 03"


def test_a_package_compiled_for_want_of_a_wheel_is_named_on_the_stand_ins_only():
    compiled = BuildFailed(
        "Step 4/12 `RUN pip install -r requirements.txt` failed: exit code: 1",
        "RUN pip install -r requirements.txt",
        [
            "      FileNotFoundError: [Errno 2] No such file or directory: 'c++'",
            "error: subprocess-exited-with-error",
        ],
    )
    assert _named_obstacle(compiled, stood_in=False) is compiled
    assert str(_named_obstacle(compiled, stood_in=True)).startswith(
        "`pip install` compiles a package from source"
    )


def test_a_c_library_the_stand_in_lacks_is_named():
    psycopg = BuildFailed(
        "Step 4/24 `RUN pip wheel -r requirements.txt` failed: exit code: 1",
        "RUN pip wheel -r requirements.txt",
        ["Error: pg_config executable not found.", "error: subprocess-exited-with-error"],
    )
    assert str(_named_obstacle(psycopg, stood_in=True)).startswith("a package is built from source and needs")
    assert _named_obstacle(psycopg, stood_in=False) is psycopg, (
        "on the official images it is the project's own"
    )


def test_the_official_python_layout_copied_from_a_stand_in_is_named():
    # microservices-demo's shoppingassistantservice under BuildKit on Engine 20.10 (its message, unchanged).
    copied = BuildFailed(
        "Step 10/14 `COPY --from=builder /usr/local/lib/python3.14/ /usr/local/lib/python3.14/` (line 38) "
        'failed under the buildkit builder: failed to compute cache key: "/usr/local/lib/python3.14" not found: '
        "not found",
        "COPY --from=builder /usr/local/lib/python3.14/ /usr/local/lib/python3.14/",
        [],
    )
    assert str(_named_obstacle(copied, stood_in=True)).startswith("a step copies `/usr/local/lib/python3.X`")
    assert _named_obstacle(copied, stood_in=False) is copied, "on the official images it is the project's own"


def test_uv_fetching_a_python_the_stand_in_lacks_is_named_before_github():
    fetched = BuildFailed(
        "Step 6/15 `RUN uv sync --frozen --no-dev --no-install-project` (line 26) failed under the buildkit "
        "builder: exit code: 2",
        "RUN uv sync --frozen --no-dev --no-install-project",
        [
            "Using CPython 3.13.5 interpreter at: /usr/local/bin/python3",
            "error: Failed to download https://github.com/astral-sh/python-build-standalone/releases/download/"
            "20251014/cpython-3.14.0%2B20251014-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz",
            "  Caused by: dns error: failed to lookup address information: Name or service not known",
        ],
    )
    assert str(_named_obstacle(fetched, stood_in=True)).startswith(
        "uv downloads the Python the project asks for"
    )
    assert str(_named_obstacle(fetched, stood_in=False)).startswith("a build step downloads from GitHub")
