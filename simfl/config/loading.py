"""YAML → `Scenario`, with overrides, and every problem reported at once by dotted
path, naming the value received and what is allowed."""

from __future__ import annotations

import copy
import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from simfl.config.crossfield import scenario_problems
from simfl.config.schema import Scenario
from simfl.config.shipped import resolve
from simfl.errors import ScenarioError

SCENARIO_SHAPE = "a scenario is a mapping of keys (name, seed, rounds, fl, market, ...)"
MAX_DEPTH = 20  # nesting levels; a scenario needs 5 (market.investors.0.budget), sweeps ~7
MAX_NODES = 100_000  # mappings, lists and values after anchors are expanded


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error
    (YAML forbids it; PyYAML would keep the last and silently drop the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` merges; an explicit key may override what it brings
            key = self.construct_object(key_node, deep=True)
            try:
                seen = first_line.get(key)
            except TypeError:  # unhashable key: the constructor below says so
                continue
            if seen is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice in one mapping (first at line {seen}); "
                    "keep one: the second would silently replace the first",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def check_shape(data: Any, where: str) -> None:
    """Refuse data nested deeper than `MAX_DEPTH`, larger than `MAX_NODES` once anchors
    are expanded, or referring to itself (a recursive anchor): no scenario or sweep needs
    any of these, and each would crash or stall a later step with a traceback."""
    done: dict[int, tuple[int, int]] = {}  # id → (depth, expanded size)
    open_: set[int] = set()  # containers on the current path
    stack: list[tuple[Any, bool]] = [(data, False)] if isinstance(data, dict | list) else []
    while stack:
        node, finished = stack.pop()
        children = list(node.values()) if isinstance(node, dict) else node
        if finished:
            inner = [done[id(c)] for c in children if isinstance(c, dict | list)]
            depth = 1 + max((d for d, _ in inner), default=0)
            size = 1 + len(children) - len(inner) + sum(n for _, n in inner)
            done[id(node)] = (depth, size)
            open_.discard(id(node))
            if depth > MAX_DEPTH:
                raise ScenarioError(
                    f"{where}: nested more than {MAX_DEPTH} levels deep; a scenario needs "
                    "about 5 (market.investors.0.budget)"
                )
            if size > MAX_NODES:
                raise ScenarioError(
                    f"{where}: holds more than {MAX_NODES:,} values once its anchors are "
                    "expanded; no scenario needs that many (an anchor bomb?)"
                )
            continue
        if id(node) in done:
            continue
        if id(node) in open_:
            raise ScenarioError(f"{where}: an anchor refers to itself (a recursive structure)")
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, dict | list))


def load_yaml(path: str | Path, shape: str = SCENARIO_SHAPE) -> dict[str, Any]:
    """Read a YAML mapping, with user errors for every way a file can be bad.

    `shape` says what the file should be (default: a scenario's keys); it ends the
    message when the file is empty or its top level is not a mapping.
    """
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: no such file")
    if path.is_dir():
        raise ScenarioError(f"{path}: is a directory; give the path of a .yaml file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot be read ({err})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
    except RecursionError:
        raise ScenarioError(
            f"{path}: nested too deeply to read (more than Python's recursion limit); "
            f"a scenario needs about 5 levels, at most {MAX_DEPTH} are accepted"
        ) from None
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(f"{path}: not valid YAML{line}: {problem}") from None
    if data is None:
        raise ScenarioError(f"{path}: the file is empty; {shape}")
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: {shape}; got {type(data).__name__}")
    check_shape(data, str(path))
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """`"market.pool.fee_bps=5"` → `("market.pool.fee_bps", 5)`; the value is read as YAML."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(f"--set {text!r}: write it as key.path=value")
    try:
        value = yaml.load(raw, Loader=_UniqueKeyLoader) if raw.strip() else ""
    except RecursionError:
        raise ScenarioError(f"--set {key.strip()}: the value is nested too deeply") from None
    except yaml.YAMLError:
        value = raw
    check_shape(value, f"--set {key.strip()}")
    return key.strip(), value


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `data` with each dotted key set; list items by index (`a.0.b`)."""

    result = copy.deepcopy(data)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = result
        for depth, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                index = _list_index(node, part, parts[: depth + 1])
                node = node[index]
                continue
            key = _int_key(node, part)
            current = node.get(key)
            if current is not None and not isinstance(current, dict | list):
                node[key] = _expand_shorthand(current, parts[: depth + 1], dotted)
            elif current is None:
                node[key] = {}
            node = node[key]
        last = parts[-1]
        if isinstance(node, list):
            node[_list_index(node, last, parts)] = value
        else:
            node[_int_key(node, last)] = value
    return result


# scalar shorthands a dotted key may reach into: `strategy: krum` is `{name: krum}`, ...
SHORTHANDS = {
    ("fl", "strategy"): "name",
    ("fl", "behaviours", "*"): "kind",
    ("market", "reward", "emission"): "amount",
    ("market", "reward", "revenue"): "amount",
}


def _expand_shorthand(value: Any, path: list[str], dotted: str) -> dict[str, Any]:
    """The mapping a scalar shorthand stands for, so `--set fl.strategy.krum_byzantine=3`
    on `strategy: krum` keeps Krum; a scalar that is no shorthand cannot hold keys."""
    for pattern, field in SHORTHANDS.items():
        if len(pattern) == len(path) and all(p in ("*", q) for p, q in zip(pattern, path)):
            return {field: value}
    raise ScenarioError(
        f"--set {dotted}: {'.'.join(path)} is {value!r}, not a mapping, so it has no "
        f"key {dotted.removeprefix('.'.join(path) + '.')!r}"
    )


def _list_index(node: list[Any], part: str, path: list[str]) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ScenarioError(
            f"--set {'.'.join(path)}: {part!r} is not an index of a list of {len(node)} items"
        )
    return int(part)


def _int_key(node: dict[Any, Any], part: str) -> Any:
    """Mapping keys may be ints in YAML (behaviours); match an existing int key."""
    if part.isdigit() and int(part) in node:
        return int(part)
    return int(part) if part.isdigit() and any(isinstance(k, int) for k in node) else part


def build_scenario(data: dict[str, Any], source: str = "scenario") -> Scenario:
    """Validate a mapping into a `Scenario`, or raise `ScenarioError` listing every problem."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        lines = [format_error(e, data) for e in err.errors()]
        raise ScenarioError(f"{source}: {len(lines)} problem(s)\n" + "\n".join(lines)) from None
    return check_scenario(scenario, source)


def check_scenario(scenario: Scenario, source: str = "scenario") -> Scenario:
    """`scenario` if it passes the cross-field, data and replay checks
    (`crossfield.scenario_problems`); else `ScenarioError` listing them all."""
    lines = scenario_problems(scenario)
    if lines:
        raise ScenarioError(f"{source}: {len(lines)} problem(s)\n" + "\n".join(lines))
    return scenario


def load_scenario(
    scenario: str | Path | dict[str, Any] | Scenario,
    overrides: dict[str, Any] | None = None,
) -> Scenario:
    """A validated `Scenario` from a YAML path, a shipped scenario's name (`"quickstart"`),
    a mapping or a `Scenario`, with overrides; `ScenarioError` listing every problem."""
    if isinstance(scenario, Scenario):
        if not overrides:
            return check_scenario(scenario, scenario.name)
        data, source = scenario.model_dump(mode="json"), scenario.name
    elif isinstance(scenario, dict):
        data, source = scenario, "scenario"
    else:
        data, source = load_yaml(resolve(scenario)), str(scenario)
    if overrides:
        data = apply_overrides(data, overrides)
    return build_scenario(data, source)


def format_error(error: Any, data: dict[str, Any]) -> str:
    """One line for one pydantic error: dotted path, value received, what is allowed."""
    loc = [str(p) for p in error["loc"] if not str(p).startswith("function-")]
    loc = [p for p in loc if p not in ("str", "int", "float", "dict[int,Behaviour]")]
    path = ".".join(loc) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _section_at(loc[:-1])
        hint = ""
        if parent is not None:
            close = difflib.get_close_matches(loc[-1], list(parent.model_fields), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            allowed = ", ".join(parent.model_fields)
            return f"{path}: unknown key{hint} (allowed here: {allowed})"
        return f"{path}: unknown key"
    received = error.get("input")
    shown = "nothing" if kind == "missing" else repr(received)
    message = error["msg"]
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        message = f"must be one of {expected}"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
        key, sep, rest = message.partition(": ")
        if sep and re.fullmatch(r"[a-z_][\w.]*", key):  # a cross-check names its own key
            return f"{'.'.join([*loc, key])}: {rest}"
        return f"{path}: {message}"
    return f"{path}: got {shown}; {message[0].lower()}{message[1:]}"


def _section_at(loc: list[str]) -> type[BaseModel] | None:
    """The schema class found by walking `loc` from `Scenario`, or None."""
    model: Any = Scenario
    for part in loc:
        if part.isdigit():
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        model = _first_model(annotation)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _first_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def describe(scenario: Scenario) -> str:
    """A one-line summary for `simfl validate`."""
    fl = scenario.fl
    market = scenario.market
    investors = sum(g.count for g in market.investors)
    lps = sum(g.count for g in market.liquidity_providers)
    return (
        f"{scenario.name}: {scenario.rounds} rounds, {fl.clients} clients on {fl.dataset} "
        f"({fl.partition.kind}), scores from {scenario.scores.source} paying by "
        f"{fl.contribution.pay_by}, reward {market.reward.mode}, {investors} investors, "
        f"{lps} liquidity providers"
    )
