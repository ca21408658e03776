"""Footfall: retail analytics from edge vision to a curated star schema.

This package holds what the edge runtime and the data platform share: the event contract, the
store layout contract, the Capture landing format, the synthetic chain simulator and the CLI.
"""

__version__ = "0.1.0"
