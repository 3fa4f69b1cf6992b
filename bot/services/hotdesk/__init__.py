"""Hot desks: partners' staff book a desk at another agency, under that agency's rules.

One module a job, each importing only those before it: `types` (the vocabulary and the typed
words), `rules` (pure booking rules, no database), `store` (reads and writes in the caller's
Session) and `service` (class Hotdesk, the only one that opens transactions).
"""
