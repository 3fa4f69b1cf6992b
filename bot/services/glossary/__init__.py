"""The partnership's jargon glossary: terms, what each organisation means by them, and which
terms name the same thing ("Name the jargon": people stop assuming others know their words).

One module a job, each importing only those before it: `types` (views and refusals), `rules`
(pure: what a term is, which acronyms a text holds), `store` (reads and writes in the caller's
Session) and `service` (class Glossary, the only one that opens transactions).
"""
