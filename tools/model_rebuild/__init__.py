"""The conversion and comparison logic behind `tools/rebuild_models.py`, importable by tests.

Relative imports only: the script imports this package as `model_rebuild` (its own folder is on
`sys.path`), the tests as `tools.model_rebuild`.
"""
