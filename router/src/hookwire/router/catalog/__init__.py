"""Plugin packages: manifests, compatibility, quality, maturity, search, the registry and QA."""
