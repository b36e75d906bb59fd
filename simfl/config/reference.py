"""The scenario reference (every key, allowed values, default, meaning), generated
from the schema so the README cannot drift from it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from simfl.config.loading import _first_model
from simfl.config.schema import Scenario


def reference_rows(
    model: type[BaseModel] | None = None, prefix: str = ""
) -> list[tuple[str, str, str, str]]:
    """(dotted key, allowed values, default, meaning) for every scenario key, in order."""
    model = model or Scenario
    rows: list[tuple[str, str, str, str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        nested = _first_model(field.annotation)
        is_list = "list[" in str(field.annotation) or "dict[" in str(field.annotation)
        if nested is not None and not is_list:
            rows.append((key, "section", "", (nested.__doc__ or "").strip().splitlines()[0]))
            rows += reference_rows(nested, f"{key}.")
            continue
        allowed = _allowed(field)
        default = "" if field.is_required() else _shown_default(field)
        rows.append((key, allowed, default, field.description or ""))
        if nested is not None:
            item = f"{key}[]" if "list[" in str(field.annotation) else f"{key}.<client>"
            rows += reference_rows(nested, f"{item}.")
    return rows


def _allowed(field: Any) -> str:
    """The field's type as a reader wants it: `int (>= 1)`, `one of [...]`, `str | None`."""

    signs = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}

    def bounds(metadata: str) -> str:
        found = re.findall(r"(ge|gt|le|lt)=([-\d.e]+)", metadata)
        return ", ".join(f"{signs[k]} {v}" for k, v in found)

    text = str(field.annotation).replace("typing.", "")
    text = re.sub(r"simfl\.[\w.]+\.|<class '(\w+)'>", r"\1", text)
    text = re.sub(
        r"Annotated\[(\w+), FieldInfo\(.*?metadata=\[(.*?)\]\)\]",
        lambda m: f"{m.group(1)} ({bounds(m.group(2))})",
        text,
    )
    text = re.sub(r"Optional\[(.*)\]", r"\1 | None", text)
    text = text.replace("Literal[", "one of [")
    own = ", ".join(
        f"{signs[attr]} {getattr(meta, attr)}"
        for meta in field.metadata
        for attr in signs
        if getattr(meta, attr, None) is not None
    )
    patterns = [f"matches {m.pattern}" for m in field.metadata if getattr(m, "pattern", None)]
    extra = ", ".join(filter(None, [own, *patterns]))
    return text + (f" ({extra})" if extra else "")


def _shown_default(field: Any) -> str:
    default = field.get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        return ""
    return json_dumps(default)


def json_dumps(value: Any) -> str:

    return json.dumps(value) if not isinstance(value, tuple) else json.dumps(list(value))


def reference_markdown() -> str:
    """The scenario reference as a Markdown table (README's 'Scenario reference')."""
    lines = ["| key | allowed | default | meaning |", "| --- | --- | --- | --- |"]
    for key, allowed, default, meaning in reference_rows():
        cell = allowed.replace("|", "\\|")
        lines.append(f"| `{key}` | {cell} | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


def update_readme(path: str | Path = "README.md") -> bool:
    """Rewrite the README's scenario reference between its markers; True if it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- reference:start -->\n", "<!-- reference:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    updated = head + start + reference_markdown() + end + tail
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text
