"""Files are written whole or not at all."""

from pathlib import Path

import pytest

from simfl.atomic import atomic_path, write_bytes_atomic, write_json_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "summary.parquet"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.parquet"]


def test_writes_replace_the_file_and_temporaries_are_named_for_sweep_cleanup(
    tmp_path: Path,
) -> None:
    target = tmp_path / "a.json"
    with atomic_path(target) as tmp:
        assert tmp.name.startswith(".tmp-a.json-")
        tmp.write_text("x")
    write_json_atomic({"b": 1}, target)
    assert target.read_text() == '{\n  "b": 1\n}\n'
    write_bytes_atomic(target, b"raw")
    assert target.read_bytes() == b"raw"
