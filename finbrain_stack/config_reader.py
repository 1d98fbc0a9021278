"""Typed reading of the JSON configuration in cdk.json, collecting every problem in one pass.

The CDK passes context values through as plain JSON. This module turns one JSON object into
typed Python values and records a ``ConfigProblem`` for each mistake instead of raising at the
first one, so one ``cdk synth`` lists every mistake in an environment.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

MISSING = object()
"""Sentinel for a field that is absent from the JSON object."""


@dataclass(frozen=True)
class ConfigProblem:
    """One configuration mistake: where it is, what was found, the rule, and the fix."""

    path: str
    value: str
    rule: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path} = {self.value}: {self.rule}. Fix: {self.fix}"


class ConfigError(Exception):
    """Every problem found in a configuration, raised once after all fields were read."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        lines = [f"Invalid configuration ({len(self.problems)} problem(s)):"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def show(value: Any) -> str:
    """Format a configuration value for an error message.

    Callers pass only non-secret configuration values: this app never reads a secret value.
    """
    if value is MISSING:
        return "<missing>"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


@dataclass
class Problems:
    """The problems collected while reading one configuration."""

    items: list[ConfigProblem] = field(default_factory=list)

    def add(self, path: str, value: Any, rule: str, fix: str) -> None:
        self.items.append(ConfigProblem(path, show(value), rule, fix))

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


class ObjectReader:
    """Reads the fields of one JSON object, recording a problem for each invalid field.

    Each getter returns the default (or None) for an invalid field, so reading goes on and
    later fields are still checked. ``finish`` reports fields that no getter asked for, which
    catches misspelled keys that would otherwise be ignored silently.
    """

    def __init__(self, data: Any, path: str, problems: Problems) -> None:
        self.path = path
        self.problems = problems
        self._seen: set[str] = set()
        if isinstance(data, dict):
            self.data: dict[str, Any] = data
        else:
            problems.add(path, data, "must be a JSON object", "write this setting as {...}")
            self.data = {}

    def child_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key: str) -> Any:
        self._seen.add(key)
        return self.data.get(key, MISSING)

    def _typed(
        self,
        key: str,
        kind: type | tuple[type, ...],
        kind_name: str,
        default: Any,
        required: bool,
        example: str,
    ) -> Any:
        value = self.raw(key)
        if value is MISSING:
            if required:
                self.problems.add(
                    self.child_path(key), value, "is required", f"add {key!r}, for example {example}"
                )
            return default
        # bool is a subclass of int in Python, but JSON true is never a valid number here.
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            value_ok = False
        else:
            value_ok = isinstance(value, kind)
        if not value_ok:
            self.problems.add(
                self.child_path(key), value, f"must be {kind_name}", f"write it as {example}"
            )
            return default
        return value

    def string(self, key: str, *, default: str | None = None, required: bool = False,
               example: str = '"text"') -> str | None:
        return self._typed(key, str, "a string", default, required, example)

    def integer(self, key: str, *, default: int | None = None, required: bool = False,
                example: str = "1") -> int | None:
        return self._typed(key, int, "an integer", default, required, example)

    def boolean(self, key: str, *, default: bool, example: str = "true") -> bool:
        return self._typed(key, bool, "true or false", default, False, example)

    def string_list(self, key: str, *, default: tuple[str, ...] = (), required: bool = False,
                    example: str = '["a", "b"]') -> tuple[str, ...]:
        value = self._typed(key, list, "a list of strings", MISSING, required, example)
        if value is MISSING:
            return default
        if not all(isinstance(item, str) for item in value):
            self.problems.add(self.child_path(key), value, "must contain only strings",
                              f"write it as {example}")
            return default
        return tuple(value)

    def choice(self, key: str, choices: tuple[str, ...], *, default: str) -> str:
        value = self._typed(key, str, "a string", default, False, f'"{choices[0]}"')
        if value not in choices:
            allowed = ", ".join(f'"{choice}"' for choice in choices)
            self.problems.add(self.child_path(key), value, f"must be one of {allowed}",
                              f"set {key!r} to one of {allowed}")
            return default
        return value

    def obj(self, key: str, *, required: bool = False) -> ObjectReader | None:
        value = self._typed(key, dict, "a JSON object", MISSING, required, "{...}")
        if value is MISSING:
            return None
        return ObjectReader(value, self.child_path(key), self.problems)

    def objects(self, key: str, *, required: bool = False) -> list[ObjectReader]:
        value = self._typed(key, list, "a list of JSON objects", MISSING, required, "[{...}]")
        if value is MISSING:
            return []
        return [ObjectReader(item, f"{self.child_path(key)}[{index}]", self.problems)
                for index, item in enumerate(value)]

    def object_map(self, key: str, *, required: bool = False) -> dict[str, ObjectReader]:
        value = self._typed(key, dict, "a JSON object", MISSING, required, '{"name": {...}}')
        if value is MISSING:
            return {}
        return {name: ObjectReader(item, self.child_path(key) + f"[{name!r}]", self.problems)
                for name, item in value.items()}

    def finish(self) -> None:
        """Record a problem for each key that no getter read."""
        for key in self.data:
            if key in self._seen:
                continue
            close = difflib.get_close_matches(key, sorted(self._seen), n=1)
            fix = f"did you mean {close[0]!r}?" if close else "remove it"
            self.problems.add(self.child_path(key), self.data[key], "is not a known setting", fix)
