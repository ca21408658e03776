"""The curated-tables contract, read from `docs/ARCHITECTURE.md` (its single source).

The table "Contract: curated tables" names every table Power BI gets, its key columns and its
measures. The model generator uses it for the table list (and, for a contract table the warehouse
does not hold yet, for its column names); the model's test uses it to require every table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "ARCHITECTURE.md"
_SECTION = "## Contract: curated tables"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


class ContractError(ValueError):
    """The contract table could not be read; the message names the file and the line."""


@dataclass(frozen=True)
class ContractTable:
    name: str
    grain: str
    keys: tuple[str, ...]
    measures: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + tuple(m for m in self.measures if m not in self.keys)

    @property
    def is_dimension(self) -> bool:
        return self.name.startswith("dim_")


def _identifiers(cell: str, first_clause_only: bool) -> tuple[str, ...]:
    if first_clause_only:
        cell = cell.split(";")[0]
    items = (item.strip().strip("`").strip() for item in cell.split(","))
    return tuple(i for i in items if _IDENT.match(i))


def contract_tables(path: Path = ARCHITECTURE) -> list[ContractTable]:
    """The contract tables in document order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(_SECTION)), None)
    if start is None:
        raise ContractError(f"{path}: no section {_SECTION!r}")
    tables = []
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.startswith("## "):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        name = cells[0].strip("`")
        if not _IDENT.match(name):
            raise ContractError(f"{path}:{number}: table name {name!r} is not an identifier")
        tables.append(
            ContractTable(
                name=name,
                grain=cells[1],
                keys=_identifiers(cells[2], first_clause_only=False),
                measures=_identifiers(cells[3], first_clause_only=True),
            )
        )
    if not tables:
        raise ContractError(f"{path}: section {_SECTION!r} lists no tables")
    return tables
