"""Files written whole or not at all: a unique temporary name beside the target, then a
rename (atomic on one filesystem), so readers, resumed sweeps and crashes never see half
a file. Temporary names start with `.tmp-`, which sweeps clean up when they resume."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from simfl.errors import UserError

FOLDER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # one folder name, never `.`-led


def check_folder_name(name: str, what: str = "--run-id") -> str:
    """`name` if it is one plain folder name (letters, digits, `_ . -`, not starting with
    `.` or `-`), so a results folder cannot leave its parent nor hide as a temporary
    `.tmp-` folder; `UserError` otherwise."""
    if not FOLDER_NAME.fullmatch(name) or len(name) > 200:
        raise UserError(
            f"{what} {name!r}: give one folder name inside --out: letters, digits, _ . - "
            "(not starting with . or -, no /, at most 200 characters)"
        )
    return name


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write; renamed to `path` when the block ends without error,
    removed otherwise."""
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(data: Any, path: Path, indent: int | None = 2) -> None:
    """Write `data` as JSON to `path` whole or not at all (non-JSON values as text)."""
    text = json.dumps(data, indent=indent, default=str) + "\n"
    write_bytes_atomic(path, text.encode())
