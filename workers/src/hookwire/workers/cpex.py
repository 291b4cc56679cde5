"""The public face of cpex plugin hosting (``entry: hookwire.workers.cpex:CpexHost``)."""

from ._cpex import CpexHost, host_class, package_defaults

__all__ = ["CpexHost", "host_class", "package_defaults"]
