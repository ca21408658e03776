"""Reading hand-written YAML files (layouts, detector configs) with one-line errors.

People edit these files by hand, so every problem is reported as one line naming the file, the
field (a dotted path such as `cameras[0].zones[1].polygon`) and what is wrong. Each caller
passes its own error class so the message is also typed by what failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError


def read_text(path: Path, what: str, error: type[Exception]) -> str:
    """The file's UTF-8 text, or `error` saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def yaml_mapping(text: str, source: str, expected: str, error: type[Exception]) -> dict[str, Any]:
    """Parse YAML whose top level must be a mapping; `expected` names its keys in the error."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{source}:{where}: not valid YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise error(f"{source}: <root>: expected a mapping with {expected}")
    return data


def error_location(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a dotted path, e.g. `cameras[0].zones[1].polygon`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "tuple[")) or part in ("list[...]",):
            continue
        else:
            out += f".{part}" if out else part
    return out or "<root>"


def first_problem(exc: ValidationError, skip: int = 0) -> str:
    """The first validation problem as `field.path: message`, plus how many more there are.

    `skip` drops leading location parts that the file does not have (a discriminated union's
    tag, for example).
    """
    err = exc.errors()[0]
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    loc = tuple(err["loc"][skip:])
    where = f"{error_location(loc)}: " if loc else ""
    return f"{where}{err['msg'].removeprefix('Value error, ')}{more}"
