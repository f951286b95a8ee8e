"""Benchmarks for indexing and searching."""
