"""The admin service: a JSON API (with an OpenAPI document) and server-rendered pages
over a running deployment, which it reaches through NATS only (docs/admin.md)."""
