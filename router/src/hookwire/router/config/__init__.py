"""The config file: its model, plugin entries, rule compilation, legacy configs,
migration and load-time policy."""
