"""Opportunities: typed, dated, with interest, caught when shared twice, closed when they close.

One module a job, each importing only those before it: `types` (the vocabulary and the typed
kinds), `rules` (pure checks, no database), `store` (reads and writes in the caller's Session)
and `service` (class Opportunities, the only one that opens transactions).
"""
