"""Chancery's search library: articles, entities, analysis, schema, indexing, searching."""
from search import whoosh_fixes

whoosh_fixes.apply()
