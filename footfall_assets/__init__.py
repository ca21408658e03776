"""The Footfall Dagster code location (`workspace.yaml` loads `footfall_assets.definitions`).

`resources/` says where data comes from and goes, `ingest/` holds the ingestion logic the assets
call, `assets/` and `checks/` are what the UI shows, `materialize.py` drives in-process runs.
"""
