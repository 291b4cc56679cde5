"""pii_filter's benchmark, with cpex-pii-filter (ContextForge's Rust plugin) side by side.

``hookwire plugins qa pii_filter`` runs it in the plugin's QA venv and records the JSON
object it prints last. Run it yourself: ``python benchmark.py [CALLS]``.

Both run in the same run on the same inputs: the cost of one ``tool_pre_invoke`` on a
realistic tool call, and precision and recall on the labelled corpus
(corpus/pii_corpus.jsonl). cpex-pii-filter runs in its own venv (made with ``uv`` in the
temp folder, or the one named by ``$PII_FILTER_CPEX_PYTHON``), since it brings its own
framework; when it cannot be installed the figures say why instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pii_filter import PiiFilter
from pii_filter._corpus import CORPUS, load, score
from pii_filter._detect import find

from hookwire.schemas import RequestContext, ToolPreInvokePayload
from hookwire.workers import Context

ARGS = {
    "to": "alice.smith@example.com",
    "cc": ["bob@example.org", "carol@example.net"],
    "subject": "Invoice 2024-118 for order 5561",
    "body": (
        "Hi Alice, please call me at +1 (415) 555-0132 about the refund. The card on file "
        "is 4111 1111 1111 1111; my SSN for the form is 078-05-1120. Thanks! "
    )
    * 4,
    "meta": {"priority": 2, "tags": ["billing", "refund"], "ticket": "T-99812"},
}
#: Types both plugins detect; cpex has no API key or JWT detector, hookwire no DOB/passport.
SHARED = ("email", "phone", "credit_card", "ssn", "iban", "ipv4", "ipv6")
CPEX_VERSION = "cpex-pii-filter==0.3.9"

# Runs in cpex-pii-filter's venv: reads {"args", "calls", "texts"}, prints the figures.
CPEX_SCRIPT = r"""
import json, sys, time
from cpex_pii_filter import PIIDetectorRust
job = json.load(sys.stdin)
det = PIIDetectorRust({})
kinds = {"ip_address": None, "bank_account": "iban"}
found = []
for text in job["texts"]:
    types = set()
    for kind, hits in det.detect(text).items():
        for hit in hits:
            if kind == "ip_address":
                types.add("ipv6" if ":" in hit["value"] else "ipv4")
            else:
                types.add(kinds.get(kind, kind))
    found.append(sorted(types))
for _ in range(50):
    det.process_nested(job["args"], "")
start = time.perf_counter()
for _ in range(job["calls"]):
    det.process_nested(job["args"], "")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "found": found}))
"""


def context() -> Context:
    request = RequestContext(request_id="bench", hook="tool_pre_invoke")
    return Context(request=request, config={}, state={}, instance="bench", hook="tool_pre_invoke")


async def hookwire_figures(calls: int) -> dict[str, Any]:
    plugin = PiiFilter({})
    payload = ToolPreInvokePayload(name="send_email", args=ARGS)
    ctx = context()
    for _ in range(50):  # warm up
        await plugin.tool_pre_invoke(payload, ctx)
    start = time.perf_counter()
    for _ in range(calls):
        await plugin.tool_pre_invoke(payload, ctx)
    seconds = time.perf_counter() - start
    settings = plugin.settings
    rows = load()

    def detect(text: str) -> set[str]:
        return {span.kind for span in find(text, settings.detectors, settings.rank)}

    return {
        "per_call_us": round(seconds / calls * 1e6, 1),
        "corpus": score(detect, rows).figures(),
        "corpus_shared_types": score(detect, rows, SHARED).figures(),
    }


def cpex_python() -> Path:
    """The Python of a venv holding cpex-pii-filter, made with uv when missing."""
    given = os.environ.get("PII_FILTER_CPEX_PYTHON")
    if given:
        return Path(given)
    venv = Path(tempfile.gettempdir()) / "hookwire-bench-cpex-pii-filter"
    python = venv / "bin" / "python"
    if python.is_file():
        return python
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is not on PATH to make its venv")
    subprocess.run([uv, "venv", "-q", str(venv)], check=True, capture_output=True, timeout=120)
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    done = subprocess.run(
        [uv, "pip", "install", "-q", CPEX_VERSION],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        raise RuntimeError(f"uv pip install {CPEX_VERSION} failed: {done.stderr.strip()[-300:]}")
    return python


def cpex_figures(calls: int) -> dict[str, Any]:
    try:
        python = cpex_python()
        rows = load()
        job = {"args": ARGS, "calls": calls, "texts": [row.text for row in rows]}
        done = subprocess.run(
            [str(python), "-c", CPEX_SCRIPT],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip()[-300:])
        out = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, RuntimeError, subprocess.SubprocessError, ValueError) as exc:
        return {"status": f"not measured: {exc}"}
    found = dict(zip([row.text for row in rows], out["found"], strict=True))
    return {
        "status": f"measured ({CPEX_VERSION}, its own venv)",
        "per_call_us": round(out["seconds"] / calls * 1e6, 1),
        "corpus": score(lambda t: found[t], rows).figures(),
        "corpus_shared_types": score(lambda t: found[t], rows, SHARED).figures(),
    }


def main(calls: int) -> dict[str, Any]:
    ours = asyncio.run(hookwire_figures(calls))
    theirs = cpex_figures(calls)
    return {
        "case": f"tool_pre_invoke, {len(json.dumps(ARGS))}-byte args with 8 PII values",
        "calls": calls,
        "per_call_us": ours["per_call_us"],
        "calls_per_second": round(1e6 / ours["per_call_us"]),
        "corpus": f"{CORPUS.name}, {ours['corpus']['strings']} strings",
        "precision": ours["corpus"]["precision"],
        "recall": ours["corpus"]["recall"],
        "shared_types_precision": ours["corpus_shared_types"]["precision"],
        "shared_types_recall": ours["corpus_shared_types"]["recall"],
        "cpex_pii_filter": theirs,
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(json.dumps(main(count)))
