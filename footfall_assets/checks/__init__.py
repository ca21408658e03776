"""Asset checks that are not dbt tests."""
