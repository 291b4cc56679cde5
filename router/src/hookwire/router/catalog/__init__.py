"""Plugin packages: manifests, compatibility, quality, maturity, search and the registry."""
