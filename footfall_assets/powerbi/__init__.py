"""The Power BI semantic model (PBIP, TMDL) generated from the contract, dbt and the warehouse.

`tools/powerbi_model.py` writes `powerbi/`; `tmdl.py` reads TMDL back so tests can hold the
committed model against the warehouse.
"""
