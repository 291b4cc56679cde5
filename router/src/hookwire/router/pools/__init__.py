"""Running plugins: uv venvs, QA runs in them, supervised worker pools and the embedded
nats-server."""
