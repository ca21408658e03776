"""The folder of store layout files (`{data_dir}/layouts`)."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field


class LayoutFolder(ConfigurableResource):
    """Where store operations keep one YAML layout file per store and layout version."""

    folder: str = Field(description="Folder of `*.yaml` store layout files.")

    def files(self) -> list[Path]:
        root = Path(self.folder)
        if not root.is_dir():
            return []
        return sorted([*root.glob("*.yaml"), *root.glob("*.yml")])
