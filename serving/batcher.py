"""Async micro-batching: concurrent requests are coalesced into one model call.

Requests wait in a bounded queue (counted in texts). A worker takes the oldest request, waits up to
`max_wait_s` for more until `max_batch_size` texts are gathered, and hands them to `predict` in one
call. A full queue refuses new work at once (`Overloaded`, answered 503 + Retry-After) instead of
piling up; a request that waits too long gets `RequestTimeout`; `close()` finishes what is queued.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from llm.prediction import Prediction

PredictFn = Callable[[list[str]], Awaitable[list[Prediction]]]


class Overloaded(RuntimeError):
    """The queue is full: try again later."""


class RequestTimeout(RuntimeError):
    """The request was not answered within the per-request timeout."""


class BatcherClosed(RuntimeError):
    """The server is shutting down and takes no new work."""


@dataclass
class _Job:
    texts: list[str]
    future: asyncio.Future = field(repr=False)


class MicroBatcher:
    """Coalesces `submit` calls into batched `predict` calls on one worker task."""

    def __init__(self, predict: PredictFn, max_batch_size: int = 32, max_wait_s: float = 0.005,
                 max_queue: int = 256, timeout_s: float = 30.0, coalesce: bool = True,
                 on_batch: Callable[[int], None] | None = None,
                 on_queue_depth: Callable[[int], None] | None = None) -> None:
        self._predict = predict
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self.coalesce = coalesce
        self._on_batch = on_batch or (lambda size: None)
        self._on_queue_depth = on_queue_depth or (lambda depth: None)
        self._queue: deque[_Job] = deque()
        self._queued_texts = 0
        self._wakeup = asyncio.Event()
        self._closed = False
        self._worker: asyncio.Task | None = None

    @property
    def queue_depth(self) -> int:
        """Texts waiting for a model call (not counting the batch being scored)."""
        return self._queued_texts

    def start(self) -> None:
        """Start the worker task on the running event loop."""
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="micro-batcher")

    async def submit(self, texts: Sequence[str]) -> list[Prediction]:
        """Predictions for the texts, in order, scored together with whatever else is waiting."""
        if self._closed:
            raise BatcherClosed("the server is shutting down")
        if self._queued_texts + len(texts) > self.max_queue and self._queued_texts > 0:
            raise Overloaded(f"{self._queued_texts} texts are already waiting (limit {self.max_queue})")
        job = _Job(list(texts), asyncio.get_running_loop().create_future())
        self._queue.append(job)
        self._set_depth(self._queued_texts + len(job.texts))
        self._wakeup.set()
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), self.timeout_s)
        except TimeoutError:
            job.future.cancel()  # the worker skips it, or drops its result
            raise RequestTimeout(f"no answer within {self.timeout_s:g} s") from None

    async def close(self) -> None:
        """Refuse new work and wait until every queued request has been answered."""
        self._closed = True
        self._wakeup.set()
        if self._worker is not None:
            await self._worker

    async def _run(self) -> None:
        while True:
            while not self._queue:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
            batch = await self._gather()
            live = [job for job in batch if not job.future.done()]
            if live:
                await self._score(live)

    async def _gather(self) -> list[_Job]:
        """Take the oldest job and, when coalescing, whatever joins within the wait window."""
        loop = asyncio.get_running_loop()
        batch = [self._queue.popleft()]
        size = len(batch[0].texts)
        deadline = loop.time() + self.max_wait_s
        while self.coalesce and size < self.max_batch_size:
            if self._queue:
                if size + len(self._queue[0].texts) > self.max_batch_size:
                    break
                job = self._queue.popleft()
                batch.append(job)
                size += len(job.texts)
                continue
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closed:
                break
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except TimeoutError:
                break
        self._set_depth(self._queued_texts - size)
        return batch

    async def _score(self, jobs: list[_Job]) -> None:
        texts = [text for job in jobs for text in job.texts]
        self._on_batch(len(texts))
        try:
            predictions = await self._predict(texts)
        except Exception as error:  # every waiting request learns why
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(error)
            return
        offset = 0
        for job in jobs:
            if not job.future.done():
                job.future.set_result(predictions[offset:offset + len(job.texts)])
            offset += len(job.texts)

    def _set_depth(self, depth: int) -> None:
        self._queued_texts = depth
        self._on_queue_depth(depth)
