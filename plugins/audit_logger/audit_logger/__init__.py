"""audit_logger: appends one JSON line per event to an audit file."""

from .plugin import AuditLogger, AuditRecord, EntityRef, append_line, resolve_path

__all__ = ["AuditLogger", "AuditRecord", "EntityRef", "append_line", "resolve_path"]
