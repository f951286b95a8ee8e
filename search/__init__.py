"""Chancery's search library: articles, entities, analysis, schema, indexing, searching."""
from chancery.search import whoosh_fixes

whoosh_fixes.apply()
