"""What ``kit serve`` refuses before it starts anything: checked on this machine's engine, in ``make test``."""

import json

import pytest

from multistage.errors import UsageError
from multistage.kit import MANIFEST, serve


def _containers(client) -> set[str]:
    return {container.id for container in client.containers.list(all=True)}


@pytest.mark.alone  # compares every container on the engine before and after
def test_a_kit_packed_for_another_architecture_is_refused_in_one_sentence(client, tmp_path):
    here = client.info()["Architecture"]
    other = "aarch64" if here != "aarch64" else "x86_64"
    (tmp_path / MANIFEST).write_text(json.dumps({"architecture": other}))
    before = _containers(client)
    with pytest.raises(UsageError) as refused:
        serve(client, tmp_path)
    assert str(refused.value).startswith(
        f"This kit was packed for {other} engines and this engine is {here};"
    )
    assert _containers(client) == before, "nothing is started for a kit that cannot be served"


def test_a_folder_without_a_kit_is_refused_with_the_fix(client, tmp_path):
    with pytest.raises(UsageError) as refused:
        serve(client, tmp_path)
    assert f"{tmp_path} holds no workshop kit ({MANIFEST} is missing)" in str(refused.value)
