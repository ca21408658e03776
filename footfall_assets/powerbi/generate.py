"""Write (or check) the Power BI project under `powerbi/` from a warehouse's `marts` schema."""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from footfall_assets.powerbi.render import DEFAULT_LOCATION, MODEL_DIR, project_files
from footfall_assets.powerbi.spec import ModelSpec, build_spec

POWERBI_DIR = Path(__file__).resolve().parents[2] / "powerbi"


def spec_from_warehouse(path: Path) -> ModelSpec:
    with contextlib.closing(duckdb.connect(str(path), read_only=True)) as conn:
        return build_spec(conn)


def scratch_warehouse(workdir: Path, progress: Callable[[str], None] = print) -> Path:
    """A warehouse with every mart built: one simulated store-day through the real pipeline.

    The model needs the marts' column types, which only a dbt build shows; a scratch build makes
    the generated files independent of whatever data a developer has locally.
    """
    # Dagster's beta/preview notices and job warnings are not the user's concern here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from dagster import DagsterInstance

        from footfall.simulate import simulate
        from footfall_assets.materialize import materialize_all

        root = workdir / "data"
        progress(f"building a scratch warehouse in {root} (simulated store-day, all assets)")
        simulate(root, stores=1, days=1, start=date(2026, 10, 6), seed=7, visitors_per_day=40)
        with contextlib.redirect_stdout(io.StringIO()):
            materialize_all(root, DagsterInstance.ephemeral(), progress=lambda _m: None)
    return root / "warehouse.duckdb"


def write_project(spec: ModelSpec, out: Path, lake_location: str = DEFAULT_LOCATION) -> list[Path]:
    """Write every file; remove table files of tables no longer in the model."""
    files = project_files(spec, lake_location)
    tables_dir = out / MODEL_DIR / "definition" / "tables"
    wanted = {out / rel for rel in files}
    if tables_dir.exists():
        for stale in tables_dir.glob("*.tmdl"):
            if stale not in wanted:
                stale.unlink()
    written = []
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def differences(spec: ModelSpec, out: Path) -> list[str]:
    """Files that differ from what the generator would write (missing, changed or stale)."""
    files = project_files(spec)
    diff = [
        rel
        for rel, text in files.items()
        if not (out / rel).exists() or (out / rel).read_text(encoding="utf-8") != text
    ]
    tables_dir = out / MODEL_DIR / "definition" / "tables"
    if tables_dir.exists():
        diff += [
            str(p.relative_to(out))
            for p in sorted(tables_dir.glob("*.tmdl"))
            if str(p.relative_to(out)) not in files
        ]
    return diff


def main_with(
    warehouse: Path | None, out: Path, check: bool, progress: Callable[[str], None] = print
) -> int:
    with tempfile.TemporaryDirectory(prefix="footfall-powerbi-") as tmp:
        if warehouse is None:
            warehouse = scratch_warehouse(Path(tmp), progress)
        elif not warehouse.exists():
            progress(f"error: {warehouse} does not exist (run `footfall materialize` first)")
            return 2
        spec = spec_from_warehouse(warehouse)
    if check:
        diff = differences(spec, out)
        for rel in diff:
            progress(f"differs: {rel}")
        progress("model is up to date" if not diff else "model is stale: regenerate it")
        return 1 if diff else 0
    written = write_project(spec, out)
    planned = [t.name for t in spec.tables if t.planned]
    progress(
        f"{len(spec.tables)} tables, {len(spec.relationships)} relationships, "
        f"{sum(len(t.measures) for t in spec.tables)} measures; {len(written)} files written "
        f"to {out}"
        + (f"; planned (not in the warehouse yet): {', '.join(planned)}" if planned else "")
    )
    return 0
