"""The insights report: one offline HTML page of plotly charts a store manager reads.

`queries` reads the marts, `figures` turns them into captioned charts, `page` writes the page.
The Dagster asset is `footfall_assets.assets.reports.insights_report`.
"""

from footfall_assets.reports.page import Report, write_report
from footfall_assets.reports.queries import TABLES, read_report_data

__all__ = ["TABLES", "Report", "read_report_data", "write_report"]
