"""Ingestion internals: decode Capture files, place records in partitions, classify them."""
