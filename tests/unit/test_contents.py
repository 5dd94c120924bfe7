"""Reading image archives: whiteouts, opaque directories, symlinks, history attribution."""

import io
import json
import re
import sys
import tarfile
from pathlib import Path

import pytest

from multistage.contents import _package_of, apk_packages, elf_interpreter, instruction_from_history
from multistage.errors import MultistageError
from multistage.listings import (
    LayerListing,
    _layer_files,
    merge_layers,
    merge_listings,
    read_image_archive,
    read_layer,
)


def test_recorded_layers_apply_whiteouts_opaque_dirs_and_symlinks(recordings):
    tree = read_image_archive(str(recordings / "whiteouts-image.tar"))
    assert tree.is_file("/data/keep/a.txt")
    assert tree.resolve("/data/gone") is None and tree.resolve("/data/gone/b.txt") is None
    assert tree.resolve("/data/file.txt") is None
    assert tree.is_file("/data/replaced/new.txt")
    assert tree.resolve("/data/replaced/old.txt") is None, "opaque directory must hide the lower layer"
    assert tree.resolve("/data/link/a.txt") == "/data/keep/a.txt"
    assert tree.resolve("/data/abs-link") == "/data/keep/a.txt"
    assert not any(".wh." in path for path in tree.entries)


def _layer(*members, compress=""):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w" + (":" + compress if compress else "")) as tar:
        for name, kind, extra in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(extra)
                tar.addfile(info, io.BytesIO(extra))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "link": tarfile.LNKTYPE}[kind]
            info.linkname = extra or ""
            tar.addfile(info)
    buffer.seek(0)
    return buffer


def test_shell_behind_a_linked_bin_directory_is_found_in_compressed_layers():
    # Merged /usr as in Debian bookworm: /bin -> usr/bin, and /usr/bin/sh -> dash.
    base = _layer(
        ("bin", "sym", "usr/bin"),
        ("usr/bin/dash", "file", b"\x7fELF"),
        ("usr/bin/sh", "sym", "dash"),
        compress="gz",
    )
    tree = merge_layers([base])
    assert tree.resolve("/bin/sh") == "/usr/bin/dash"
    assert tree.which("sh") == "/usr/bin/sh"
    assert tree.is_file("/bin/sh")


def test_deleting_a_link_target_leaves_a_dangling_link():
    lower = _layer(("usr/bin/gcc-12", "file", b"x"), ("usr/bin/gcc", "sym", "gcc-12"))
    upper = _layer(("usr/bin/.wh.gcc-12", "file", b""))
    tree = merge_layers([lower, upper])
    assert tree.which("gcc") is None
    assert "/usr/bin/gcc" in tree.entries


def test_hard_links_count_as_files():
    tree = merge_layers([_layer(("bin/busybox", "file", b"x"), ("bin/sh", "link", "bin/busybox"))])
    assert tree.is_file("/bin/sh")


def test_symlink_loops_end():
    tree = merge_layers([_layer(("a", "sym", "b"), ("b", "sym", "a"))])
    assert tree.resolve("/a") is None


def test_history_lines_become_dockerfile_instructions():
    assert instruction_from_history("/bin/sh -c #(nop) WORKDIR /app") == "WORKDIR /app"
    assert instruction_from_history('/bin/sh -c #(nop)  CMD ["./main"]') == 'CMD ["./main"]'
    assert instruction_from_history("/bin/sh -c go mod download") == "RUN go mod download"
    assert instruction_from_history("|2 A=1 B=2 /bin/sh -c make") == "RUN make"
    assert instruction_from_history("RUN /bin/sh -c npm ci # buildkit") == "RUN npm ci"
    assert instruction_from_history("COPY . . # buildkit") == "COPY . ."


def test_a_layer_listing_survives_its_on_disk_form_and_still_applies_whiteouts(recordings):
    with tarfile.open(recordings / "whiteouts-image.tar") as archive:
        listings = [read_layer(fileobj) for fileobj in _layer_files(archive)]
    again = [LayerListing.from_json(json.loads(json.dumps(x.to_json()))) for x in listings]
    assert again == listings
    assert any(x.removed for x in listings) and any(x.opaque for x in listings)
    tree = merge_listings(again)
    assert tree.is_file("/data/keep/a.txt") and tree.is_file("/data/replaced/new.txt")
    assert tree.resolve("/data/gone") is None and tree.resolve("/data/replaced/old.txt") is None


def test_apk_database_counts_one_package_per_stanza():
    # The layout of Alpine's lib/apk/db/installed: one stanza per package, each with a P: line.
    database = (
        b"C:Q1gwkUCQyUBQ5ixUJMU9ugflJvaV8=\nP:alpine-baselayout\nV:3.4.3-r1\nA:aarch64\n"
        b"F:etc\nR:motd\nZ:Q1SLkS9hBidUbPwwrw+XR0Whv3ww8=\n\n"
        b"C:Q1abc=\nP:busybox\nV:1.36.1-r2\no:busybox\np:cmd:sh=1.36.1-r2\n\n"
        b"C:Q1def=\nP:musl\nV:1.2.4-r2\nT:the musl c library (libc) implementation\n"
    )
    assert apk_packages(database) == 3
    assert apk_packages(b"") == 0


def test_a_file_belongs_to_the_innermost_installed_package_not_to_a_fixture_folder_inside_one():
    installed = {"node_modules/resolve", "node_modules/a", "node_modules/a/node_modules/@s/b"}
    fixture = "node_modules/resolve/test/shadowed_core/node_modules/util/index.js"
    assert _package_of(fixture, installed) == "node_modules/resolve"
    assert (
        _package_of("node_modules/a/node_modules/@s/b/x.js", installed) == "node_modules/a/node_modules/@s/b"
    )
    assert _package_of(fixture) == "node_modules/resolve/test/shadowed_core/node_modules/util", (
        "without a lockfile, the innermost node_modules entry"
    )
    assert _package_of("node_modules/.package-lock.json", installed) is None


def test_the_loader_an_elf_program_names_is_read_from_its_first_bytes():
    # Real programs of this machine: the Python running the tests is linked dynamically, and
    # hadolint (installed beside it by the project) is static.
    python = Path(sys.executable).resolve().read_bytes()[:16384]
    assert re.fullmatch(r"/lib(64)?/ld-linux[-\w.]*\.so\.\d", elf_interpreter(python) or "")
    assert elf_interpreter((Path(sys.executable).parent / "hadolint").read_bytes()[:16384]) is None
    with pytest.raises(MultistageError, match="Not an ELF file"):
        elf_interpreter(b"#!/bin/sh\n")
    with pytest.raises(MultistageError, match="beyond the bytes read"):
        elf_interpreter(python[:600])
