"""The store's stock (issue #24 items 1 and 2): each purchase becomes an item whose state is
the fold of its append-only events (em preparo → à venda → vendido, or descartado / peças),
with the sale and the owner's corrections as events too.

Pure modules (``events``, ``fold``, ``query``, ``errors``) may be imported by the UI; ``store``
and ``service`` reach the bucket and are for the API only (an import-linter contract says so).
"""
