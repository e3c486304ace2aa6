"""The purchase (issue #23): from a customer's "yes" to a laptop the store owns.

Pure modules (``policy_terms``, ``seller``, ``request``, ``purchase``) may be imported by the
UI; ``store``, ``vault`` and ``service`` reach the bucket or the key and are for the API only
(an import-linter contract says so). docs/purchase.md says what is kept, why and for how long.
"""
