"""The rule engine: compiled rules, ``when`` expressions, the index, ordering and explain.

Pure: no NATS, no files."""
