"""Run a module as ``__main__`` on uvloop: ``python bench/_uvloop_main.py MODULE ARGS...``.

``bench/pipeline.py --loop uvloop`` starts the router and the workers through this, so
their unchanged ``asyncio.run`` gets a uvloop event loop. Needs uvloop installed
(``uv run --with uvloop ...``).
"""

import asyncio
import runpy
import sys

import uvloop

asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
module = sys.argv[1]
sys.argv = [module, *sys.argv[2:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
