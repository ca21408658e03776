"""Reading and writing the subset of TMDL the generated model uses.

TMDL (Tabular Model Definition Language) is indentation-based: an object line
(`table x`, `column y`, `measure 'Name' = DAX`), then its properties one tab deeper
(`dataType: int64`, a flag such as `isHidden`, or `source =` followed by a multi-line expression
indented further), then child objects; `///` lines describe the object below them. This reader
covers that grammar, which is all the generator writes, so a test can parse the committed files
instead of trusting the generator; it is not a full TMDL parser (no calculation groups,
perspectives or roles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

OBJECT_KINDS = {
    "database",
    "model",
    "table",
    "column",
    "measure",
    "partition",
    "relationship",
    "expression",
    "annotation",
    "ref",
    "hierarchy",
    "level",
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TmdlError(ValueError):
    """A TMDL file does not follow the grammar; the message names the file and the line."""


def quote(name: str) -> str:
    """A TMDL object name: bare when it is an identifier, else single-quoted."""
    return name if _NAME.match(name) else "'" + name.replace("'", "''") + "'"


@dataclass
class TmdlObject:
    kind: str
    name: str
    value: str | None = None  # what follows `=` on the object line, or the expression below
    description: str | None = None
    properties: dict[str, str | bool] = field(default_factory=dict)
    children: list[TmdlObject] = field(default_factory=list)

    def all(self, kind: str) -> list[TmdlObject]:
        return [c for c in self.children if c.kind == kind]


def _split_name(text: str) -> tuple[str, str]:
    """(name, rest) of `'quoted ''name''' rest` or `bare rest`."""
    if text.startswith("'"):
        i, out = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    out.append("'")
                    i += 2
                    continue
                return "".join(out), text[i + 1 :].strip()
            out.append(text[i])
            i += 1
        raise ValueError("unterminated quoted name")
    name, _, rest = text.partition(" ")
    return name, rest.strip()


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip("\t"))


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = path.read_text(encoding="utf-8-sig").splitlines()
        self.i = 0

    def error(self, message: str) -> TmdlError:
        return TmdlError(f"{self.path}:{self.i + 1}: {message}")

    def _expression(self, depth: int) -> str:
        """Lines deeper than `depth` (blank lines inside included), dedented."""
        body: list[str] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() and _depth(line) <= depth:
                break
            body.append(line)
            self.i += 1
        while body and not body[-1].strip():
            body.pop()
        indent = min((_depth(b) for b in body if b.strip()), default=0)
        return "\n".join(b[indent:] for b in body)

    def objects(self, depth: int) -> list[TmdlObject]:
        found: list[TmdlObject] = []
        description: list[str] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            text = line.strip()
            if not text:
                self.i += 1
                continue
            d = _depth(line)
            if d < depth:
                break
            if d > depth:
                raise self.error(f"unexpected indentation (expected {depth} tabs)")
            if text.startswith("///"):
                description.append(text[3:].strip())
                self.i += 1
                continue
            kind, _, rest = text.partition(" ")
            if kind not in OBJECT_KINDS:
                raise self.error(f"expected an object ({', '.join(sorted(OBJECT_KINDS))})")
            if kind == "ref":
                kind2, _, rest = rest.partition(" ")
                kind = f"ref {kind2}"
            obj = self._object(kind, rest, d)
            obj.description = "\n".join(description) or None
            description = []
            found.append(obj)
        return found

    def _object(self, kind: str, rest: str, depth: int) -> TmdlObject:
        try:
            name, after = _split_name(rest) if rest else ("", "")
        except ValueError as exc:
            raise self.error(str(exc)) from None
        obj = TmdlObject(kind=kind, name=name)
        self.i += 1
        if after.startswith("="):
            value = after[1:].strip()
            obj.value = value if value else self._expression(depth)
        # Properties: one tab deeper, until a child object or a shallower line.
        while self.i < len(self.lines):
            line = self.lines[self.i]
            text = line.strip()
            if not text:
                self.i += 1
                continue
            if _depth(line) <= depth:
                return obj
            if _depth(line) != depth + 1:
                raise self.error(f"unexpected indentation (expected {depth + 1} tabs)")
            first = text.split(" ", 1)[0].rstrip(":")
            if text.startswith("///") or first in OBJECT_KINDS:
                break
            if ":" in text and (text.index(":") < text.find("=") or "=" not in text):
                key, _, value = text.partition(":")
                obj.properties[key.strip()] = value.strip()
                self.i += 1
            elif "=" in text:
                key, _, value = text.partition("=")
                self.i += 1
                obj.properties[key.strip()] = value.strip() or self._expression(depth + 1)
            else:
                # A flag (`isHidden`), or a property object whose own flags are nested below it
                # (`dataAccessOptions` with `legacyRedirects`): keep the nested lines as text.
                self.i += 1
                nested = self._expression(depth + 1)
                obj.properties[text] = nested or True
        obj.children = self.objects(depth + 1)
        return obj


def read_file(path: Path) -> list[TmdlObject]:
    """The top-level objects of one `.tmdl` file."""
    reader = _Reader(path)
    objects = reader.objects(0)
    if reader.i < len(reader.lines):
        raise reader.error("unexpected indentation")
    return objects


def read_definition(folder: Path) -> dict[str, list[TmdlObject]]:
    """Every object of a TMDL `definition/` folder by kind (tables from `tables/*.tmdl`)."""
    if not folder.is_dir():
        raise TmdlError(f"{folder}: no TMDL definition folder")
    out: dict[str, list[TmdlObject]] = {}
    for path in sorted(folder.rglob("*.tmdl")):
        for obj in read_file(path):
            out.setdefault(obj.kind, []).append(obj)
    return out
