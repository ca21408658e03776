"""Synthetic chain simulator: realistic Capture files, layouts and ground truth for a retail chain.

Used for demos, tests and load: `simulate(data_dir, stores=5, days=14, start=date(2026, 10, 5))`
writes store layouts to `{data_dir}/layouts/`, Event Hubs Capture files to `{data_dir}/capture/`
and the ground truth (what the platform should conclude) to `{data_dir}/simulation/truth.json`.
"""

from footfall.simulate.run import SimulationResult, simulate

__all__ = ["SimulationResult", "simulate"]
