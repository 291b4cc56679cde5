"""Running plugins: uv venvs, supervised worker pools and the embedded nats-server."""
