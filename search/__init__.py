"""Chancery's search library: articles, entities, analysis, schema, indexing, searching."""
