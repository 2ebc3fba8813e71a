"""One coroutine run to its end from a synchronous test, whatever this thread is already running.

Playwright's synchronous API leaves its event loop marked as running on the main thread for as long as the
session's browser lives, so `asyncio.run` in any later test of the same worker raises "cannot be called from a
running event loop" (seen in CI, where a browser test and an ASGI test shared a worker). A thread of its own
has no loop, so the coroutine gets a fresh one there."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-async") as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=timeout)
