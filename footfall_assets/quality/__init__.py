"""Great Expectations suites for the `events` table and the code that runs them.

Great Expectations costs seconds to import, so nothing here imports it at module level: the
Dagster code location loads fast and only a running check pays for it.
"""
