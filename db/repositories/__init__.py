"""Repositories: one per aggregate, each wrapping an `AsyncSession` it does not own.

They never commit: the caller's unit of work (`Database.transaction()`) does. Every time that
matters is passed in (`now=`), aware UTC, so tests can travel in time.
"""
