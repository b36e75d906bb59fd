"""Sweep files and their designs: one YAML file → a validated list of runs.

A sweep names a base scenario and a design over dotted scenario keys:

- `grid`: every combination of the listed values (the last key varies fastest);
- `zip`: the i-th value of every key together (lists must have equal length);
- `list`: an explicit list of points, each a mapping `{dotted.key: value}`;
- `random`: `samples` points, each key drawn from a range `{low, high, log, integer}`
  or from `{choices: [...]}`;
- `sobol`: Saltelli's sampling (SALib) of ranges, `N = samples`, first-order and total
  indices only: `samples · (D + 2)` points.

Each point runs `replications` times. Seeds (recorded in every manifest) come from
`numpy.random.SeedSequence(seed, spawn_key=...)`, and every run gets its own. With
`seeding: common` (the default: common random numbers for training) the points of
replication r also share one `fl_seed`, the seed of the FL engine's stream, so points
that differ only in market parameters share one FL trajectory (the trajectory cache)
and compare paired; with `seeding: independent` the FL stream follows each run's seed.
Every point is validated against the scenario schema before any run starts; problems are
listed all at once, by the sweep parameter's dotted path.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simfl.config import Scenario, apply_overrides, format_error, load_yaml
from simfl.config.crossfield import scenario_problems
from simfl.config.shipped import resolve
from simfl.errors import ScenarioError

SEED_COMMON, SEED_INDEPENDENT, SEED_DESIGN = 0, 1, 2  # first spawn_key word of each stream
MAX_SHOWN = 50  # problem lines printed for a sweep's points; the count says how many in all


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A continuous (or integer) range for random / sobol designs."""

    low: float
    high: float
    log: bool = False  # sample uniformly in log space (low > 0)
    integer: bool = False  # round to the nearest integer


class Choices(_Strict):
    """A finite set of values for random designs (drawn uniformly)."""

    choices: Annotated[list[Any], Field(min_length=1)]


class SweepFile(_Strict):
    """The keys a sweep file may hold (see the module docstring)."""

    scenario: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    description: str = ""
    mode: Literal["grid", "zip", "list", "random", "sobol"] = "grid"
    parameters: dict[str, Any] | list[dict[str, Any]] = Field(default_factory=dict)
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    samples: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    seed: Annotated[int, Field(ge=0)] | None = None
    seeding: Literal["common", "independent"] = "common"


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: which point, which replication, which seed, which overrides."""

    run_id: str  # p<point>-r<replication>, zero-padded
    point: int
    replication: int
    seed: int
    fl_seed: int | None  # common per replication with seeding=common; else None (= seed)
    overrides: dict[str, Any]


@dataclass(frozen=True)
class Sweep:
    """A resolved, validated sweep."""

    name: str
    path: Path  # the sweep file
    scenario_path: Path  # the base scenario, absolute
    base: dict[str, Any]  # the base scenario's raw mapping
    mode: str
    parameters: Any  # as written in the sweep file
    points: list[dict[str, Any]]  # one mapping of dotted overrides per point
    replications: int
    seed: int
    seeding: str
    runs: list[RunSpec]
    problem: dict[str, Any] | None = None  # SALib problem, for sobol designs

    @property
    def parameter_names(self) -> list[str]:
        names: dict[str, None] = {}
        for point in self.points:
            names.update(dict.fromkeys(point))
        return list(names)

    def resolved(self) -> dict[str, Any]:
        """The sweep as JSON-able data (sweep.json), with a digest used by `resume`."""
        data = {
            "name": self.name,
            "sweep_file": str(self.path),
            "scenario": str(self.scenario_path),
            "mode": self.mode,
            "parameters": self.parameters,
            "replications": self.replications,
            "seed": self.seed,
            "seeding": self.seeding,
            "points": self.points,
            "problem": self.problem,
            "runs": [
                {
                    "run_id": r.run_id,
                    "point": r.point,
                    "replication": r.replication,
                    "seed": r.seed,
                    "fl_seed": r.fl_seed,
                }
                for r in self.runs
            ],
        }
        text = json.dumps({**data, "base": self.base}, sort_keys=True, default=str)
        return {"digest": hashlib.sha256(text.encode()).hexdigest()[:16], **data}


def _seed_from(sweep_seed: int, key: tuple[int, ...]) -> int:
    """63 bits from `SeedSequence(sweep_seed, spawn_key=key)`."""
    state = np.random.SeedSequence(sweep_seed, spawn_key=key).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def run_seed(sweep_seed: int, point: int, replication: int) -> int:
    """A run's seed, distinct for every (point, replication) and reproducible."""
    return _seed_from(sweep_seed, (SEED_INDEPENDENT, point, replication))


def fl_seed(sweep_seed: int, replication: int, seeding: str) -> int | None:
    """The FL stream's seed: shared by every point of a replication under `common`
    (common random numbers, one trajectory per replication); None under `independent`."""
    return _seed_from(sweep_seed, (SEED_COMMON, replication)) if seeding == "common" else None


def run_id(point: int, replication: int, n_points: int, replications: int) -> str:
    """`p003-r01`: deterministic from the point and replication, zero-padded."""
    pw = max(3, len(str(n_points - 1)))
    rw = max(2, len(str(replications - 1)))
    return f"p{point:0{pw}d}-r{replication:0{rw}d}"


# ----------------------------------------------------------------- expansion


def expand(spec: SweepFile, seed: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The points of a design (list of {dotted: value}) and the SALib problem for sobol."""
    params = spec.parameters
    mode = spec.mode
    if mode == "list":
        if isinstance(params, dict):
            if params:
                raise ScenarioError("parameters: mode 'list' needs a list of mappings")
            return [{}], None
        return [dict(p) for p in params] or [{}], None
    if not isinstance(params, dict):
        raise ScenarioError(f"parameters: mode {mode!r} needs a mapping of dotted keys")
    if "seed" in params:
        raise ScenarioError("parameters.seed: seeds come from the sweep; use replications")
    if not params:
        return [{}], None
    if mode in ("grid", "zip"):
        return _expand_lists(mode, params), None
    if spec.samples is None:
        raise ScenarioError(f"samples: mode {mode!r} needs samples (the number of draws)")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SEED_DESIGN,)))
    if mode == "random":
        return _expand_random(params, spec.samples, rng), None
    return _expand_sobol(params, spec.samples, rng)


def _expand_lists(mode: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    bad = [f"parameters.{k}: mode {mode!r} needs a list of values, got {v!r}"
           for k, v in params.items() if not isinstance(v, list) or not v]  # fmt: skip
    if bad:
        raise ScenarioError(f"sweep: {len(bad)} problem(s)\n" + "\n".join(bad))
    keys = list(params)
    if mode == "grid":
        return [dict(zip(keys, combo)) for combo in itertools.product(*params.values())]
    lengths = {k: len(v) for k, v in params.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k} ({n})" for k, n in lengths.items())
        raise ScenarioError(
            f"parameters: zip needs lists of equal length; got {shown}. "
            "Use mode: grid for every combination."
        )
    return [dict(zip(keys, values)) for values in zip(*params.values())]


def _parse_dists(params: dict[str, Any], allow_choices: bool) -> dict[str, Range | Choices]:
    dists: dict[str, Range | Choices] = {}
    problems = []
    for key, value in params.items():
        try:
            if isinstance(value, dict) and "choices" in value:
                if not allow_choices:
                    raise ValueError(
                        "sobol needs ranges {low, high}; choices only with mode random"
                    )
                dists[key] = Choices.model_validate(value)
                continue
            dist = Range.model_validate(value)
            if dist.high <= dist.low:
                raise ValueError(f"high={dist.high} must exceed low={dist.low}")
            if dist.log and dist.low <= 0:
                raise ValueError(f"log ranges need low > 0, got low={dist.low}")
            dists[key] = dist
        except ValidationError as err:
            model = Choices if isinstance(value, dict) and "choices" in value else Range
            for e in err.errors():
                if not e["loc"]:  # not a mapping at all
                    problems.append(f"parameters.{key}: got {value!r}; give a range {{low, high"
                                    "[, log, integer]}" + (" or {choices: [...]}"
                                    if allow_choices else ""))  # fmt: skip
                    continue
                problems.append(_problem(e, model, prefix=f"parameters.{key}."))
        except ValueError as err:
            problems.append(f"parameters.{key}: {err}")
    if problems:
        raise ScenarioError(f"sweep: {len(problems)} problem(s)\n" + "\n".join(problems))
    return dists


def _from_unit(dist: Range, u: float) -> float | int:
    """Map u in [0, 1] onto a range (log-uniform if asked; integers rounded half-even)."""
    if dist.log:
        value = math.exp(math.log(dist.low) + u * (math.log(dist.high) - math.log(dist.low)))
    else:
        value = dist.low + u * (dist.high - dist.low)
    return round(value) if dist.integer else float(value)


def _expand_random(
    params: dict[str, Any], samples: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    dists = _parse_dists(params, allow_choices=True)
    points = []
    for _ in range(samples):
        point: dict[str, Any] = {}
        for key, dist in dists.items():
            if isinstance(dist, Choices):
                point[key] = dist.choices[int(rng.integers(len(dist.choices)))]
            else:
                point[key] = _from_unit(dist, float(rng.random()))
        points.append(point)
    return points


def _expand_sobol(
    params: dict[str, Any], samples: int, rng: np.random.Generator
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from SALib.sample import sobol

    dists = _parse_dists(params, allow_choices=False)
    problem = {"num_vars": len(dists), "names": list(dists), "bounds": [[0.0, 1.0]] * len(dists)}
    unit = sobol.sample(problem, samples, calc_second_order=False, seed=int(rng.integers(2**31)))
    points = [
        {key: _from_unit(dist, float(u)) for (key, dist), u in zip(dists.items(), row)}
        for row in unit
    ]
    return points, {**problem, "unit_samples": unit.tolist(), "calc_second_order": False}


# ---------------------------------------------------------------- validation


def validate_points(base: dict[str, Any], points: list[dict[str, Any]]) -> None:
    """Every point against the scenario schema; all problems at once, by sweep parameter."""
    problems: list[str] = []
    base_problems: dict[str, list[int]] = {}  # line → points it occurs in
    for index, point in enumerate(points):
        label = f"point {index} ({', '.join(f'{k}={v!r}' for k, v in point.items()) or 'base'})"
        try:
            data = apply_overrides(base, point)
        except ScenarioError:
            for key, value in point.items():
                try:
                    apply_overrides(base, {key: value})
                except ScenarioError as err:
                    reason = str(err).removeprefix("--set ").split(": ", 1)[-1]
                    problems.append(f"{label}: parameters.{key}: {reason}")
            continue
        try:
            lines = scenario_problems(Scenario.model_validate(data))
        except ValidationError as err:
            for e in err.errors():
                line = format_error(e, data)
                path = line.split(":", 1)[0]
                key = next((k for k in point if path == k or path.startswith(k + ".")), None)
                if key is None:  # the base scenario's own problem: the same in every point
                    base_problems.setdefault(line, []).append(index)
                else:  # the line starts with the parameter's own dotted path: say it once
                    problems.append(f"{label}: parameters.{line}")
            continue
        for line in lines:  # cross-field, data and replay checks: told against the point
            problems.append(f"{label}: {line}")
    problems[:0] = [
        f"scenario (the base scenario, in "
        f"{'every point' if len(where) == len(points) else f'points {where}'}): {line}"
        for line, where in base_problems.items()
    ]
    if problems:
        shown = problems[:MAX_SHOWN] + (
            [f"... and {len(problems) - MAX_SHOWN} more"] if len(problems) > MAX_SHOWN else []
        )
        raise ScenarioError(f"sweep: {len(problems)} problem(s) in its points\n" + "\n".join(shown))


def _read_sweep_file(path: Path) -> Any:
    """The sweep file's YAML mapping; its emptiness or shape told as a sweep file's."""
    keys = ", ".join(SweepFile.model_fields)
    return load_yaml(path, f"a sweep file is a mapping of keys ({keys}), with scenario: required")


def _problem(error: Any, model: type[BaseModel], prefix: str = "") -> str:
    """One line for one pydantic error in a sweep file: where, what came, what is allowed."""
    loc = [str(p) for p in error["loc"] if not str(p).startswith(("function-", "list[", "dict["))]
    where = prefix + (".".join(loc) or "(top level)")
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return f"{where}: unknown key (allowed here: {', '.join(model.model_fields)})"
    if kind == "missing":
        return f"{where}: missing; it is required"
    if kind == "literal_error":
        message = f"must be one of {error.get('ctx', {}).get('expected', '')}"
    return f"{where}: got {error.get('input')!r}; {message[0].lower()}{message[1:]}"


def load_sweep(path: str | Path) -> Sweep:
    """Read, validate and expand a sweep file; raises `ScenarioError` listing every problem."""
    path = resolve(path, "sweep").resolve()
    raw = _read_sweep_file(path)
    try:
        spec = SweepFile.model_validate(raw)
    except ValidationError as err:
        lines = sorted({_problem(e, SweepFile) for e in err.errors()})
        shown = "\n".join(lines)
        raise ScenarioError(f"{path}: {len(lines)} problem(s)\n{shown}") from None
    scenario_path = (path.parent / spec.scenario).resolve()
    if not scenario_path.is_file():
        raise ScenarioError(f"{path}: scenario: no such file {str(scenario_path)!r}")
    base = load_yaml(scenario_path)
    seed = spec.seed if spec.seed is not None else int(base.get("seed", 42))
    try:
        points, problem = expand(spec, seed)
        validate_points(base, points)
    except ScenarioError as err:
        raise ScenarioError(f"{path}: {err}") from None
    runs = [
        RunSpec(
            run_id(p, r, len(points), spec.replications),
            p,
            r,
            run_seed(seed, p, r),
            fl_seed(seed, r, spec.seeding),
            point,
        )
        for p, point in enumerate(points)
        for r in range(spec.replications)
    ]
    return Sweep(
        name=spec.name or path.stem,
        path=path,
        scenario_path=scenario_path,
        base=base,
        mode=spec.mode,
        parameters=spec.parameters,
        points=points,
        replications=spec.replications,
        seed=seed,
        seeding=spec.seeding,
        runs=runs,
        problem=problem,
    )
