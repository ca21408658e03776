"""Hand-off to Power BI / Fabric: the `marts` schema exported as Delta tables."""
