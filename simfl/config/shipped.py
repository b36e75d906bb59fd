"""The scenarios and sweeps simfl ships, found the same way from a checkout and from an
installed wheel, and scenario arguments resolved by path or by name.

In a wheel they are package data under `simfl/scenarios/` (setup.py's build step copies
the checkout's `scenarios/` there); in a checkout (editable install, or `PYTHONPATH`)
they are the top-level `scenarios/` folder itself, so edits show at once.
"""

from __future__ import annotations

from pathlib import Path

from simfl.errors import ScenarioError

PACKAGE = Path(__file__).resolve().parent.parent  # simfl/
CHECKOUT = PACKAGE.parent  # the folder holding simfl/ (a checkout, or site-packages)


def scenarios_dir() -> Path:
    """The folder of shipped scenarios (`sweeps/` inside holds the shipped sweeps)."""
    packaged = PACKAGE / "scenarios"
    return packaged if packaged.is_dir() else CHECKOUT / "scenarios"


def sweeps_dir() -> Path:
    """The folder of shipped sweep files."""
    return scenarios_dir() / "sweeps"


def shipped_names(folder: Path | None = None) -> list[str]:
    """Names (file stems) of the shipped `*.yaml` files in `folder` (default: scenarios)."""
    folder = scenarios_dir() if folder is None else folder
    return sorted(p.stem for p in folder.glob("*.yaml"))


def resolve(argument: str | Path, kind: str = "scenario") -> Path:
    """The file a command-line argument names: an existing path as given; else a shipped
    scenario (or sweep, `kind="sweep"`) of that name, with or without `.yaml`.

    `ScenarioError` when it is neither, listing the shipped names.
    """
    path = Path(argument)
    if path.exists():
        return path
    if len(path.parts) != 1:
        raise ScenarioError(f"{argument}: no such file")
    folder = sweeps_dir() if kind == "sweep" else scenarios_dir()
    shipped = folder / (path.name if path.suffix in (".yaml", ".yml") else f"{path.name}.yaml")
    if shipped.is_file():  # a bare name: one of the shipped files
        return shipped
    names = ", ".join(shipped_names(folder)) or "none found"
    raise ScenarioError(
        f"{argument}: no such file, nor a shipped {kind} of that name (shipped: {names})"
    )


def shipped_scenario(name: str) -> Path:
    """The path of one shipped scenario, e.g. `shipped_scenario("quickstart")`."""
    path = scenarios_dir() / f"{name}.yaml"
    if not path.is_file():
        names = ", ".join(shipped_names()) or "none found"
        raise ScenarioError(f"no shipped scenario {name!r} (shipped: {names})")
    return path
