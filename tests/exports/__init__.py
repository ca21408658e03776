"""Delta export of the marts and the Power BI model."""
