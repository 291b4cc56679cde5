"""Recording decisions, exporting and importing them, and replaying them.

``Recorder`` (the router's) writes each event and its outcome to the ``HOOKWIRE_RECORD``
stream; ``export_records``/``import_records``/``tail_records`` read and write it;
``replay`` sends recorded events through a pipeline and reports what changed.
"""

from hookwire.router.record._build import encode_record
from hookwire.router.record._diff import PathChange, json_diff
from hookwire.router.record._recorder import Recorder, ensure_record_stream
from hookwire.router.record._render import render_report
from hookwire.router.record._replay import (
    Change,
    Decider,
    ReplayReport,
    accepted,
    check_replayable,
    nats_sender,
    replay,
)
from hookwire.router.record._store import (
    RecordFilter,
    export_records,
    import_records,
    read_records,
    records_in,
    tail_records,
    write_records,
)

__all__ = [
    "Change",
    "Decider",
    "PathChange",
    "RecordFilter",
    "Recorder",
    "ReplayReport",
    "accepted",
    "check_replayable",
    "encode_record",
    "ensure_record_stream",
    "export_records",
    "import_records",
    "json_diff",
    "nats_sender",
    "read_records",
    "records_in",
    "render_report",
    "replay",
    "tail_records",
    "write_records",
]
