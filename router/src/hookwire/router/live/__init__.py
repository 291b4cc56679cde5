"""The live config: revisions in a NATS KV bucket, and the routers and pools that follow them."""
