"""One model worker that decodes concurrent requests together (continuous batching).

The server's threads never touch the model: they `submit` a prompt and receive events. A single
worker thread owns the model and a `StaticDecoder` of `max_batch` slots. Each loop it admits
waiting requests into free slots (prefilling each prompt), then advances every active slot by one
token in one batched step, so a request that arrives mid-generation joins at the next step rather
than waiting for the batch to finish. The waiting line is bounded: `submit` raises `QueueFull`
at once when it is full (the server answers 503). A cancelled request (a client that went away,
or a stop string seen) frees its slot before the next step.

Events, from the worker thread, through the request's `emit`:
    ("token", id)        a generated token (a stop token ends the request and is not sent)
    ("done", reason)     "stop" (a stop token) or "length" (max_tokens or the cache end)
    ("error", message)
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Callable

from tinyllm.decode import DecodeOptions, StaticDecoder, sample_token
from tinyllm.generate import SamplingOptions


class QueueFull(Exception):
    """Every slot is busy and the waiting line is full."""


@dataclass
class Request:
    prompt: list[int]
    sampling: SamplingOptions         # max_new_tokens, greedy or temperature / top_k / top_p, seed
    emit: Callable[[tuple], None]
    stop: tuple[int, ...] = ()        # token ids that end the request (not sent)
    cancelled: bool = False
    generated: int = 0
    pos: int = 0
    last: int = 0
    generator: object = field(default=None, repr=False)

    def cancel(self):
        """Free the slot at the next step (safe from any thread: the worker only reads the flag)."""
        self.cancelled = True


@dataclass
class BatcherOptions:
    max_batch: int = 8
    max_queue: int = 64
    max_len: int | None = None
    compile: bool | str = "auto"


class Batcher:
    def __init__(self, model, opts: BatcherOptions | None = None):
        self.opts = opts or BatcherOptions()
        self.decoder = StaticDecoder(model, DecodeOptions(self.opts.max_batch, self.opts.max_len, self.opts.compile))
        self.max_len = self.decoder.max_len
        self.waiting: queue.Queue[Request] = queue.Queue(maxsize=self.opts.max_queue)
        self.slots: list[Request | None] = [None] * self.opts.max_batch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tinyllm-batcher", daemon=True)
        self.steps = 0  # batched decode steps run (for tests and stats)

    def start(self) -> "Batcher":
        self._thread.start()
        return self

    def close(self):
        self._stop.set()
        self._thread.join(timeout=10)

    def warm_up(self):
        """Run (and so compile) the decode step once before the first request."""
        self.decoder.step([0] * self.opts.max_batch, [0] * self.opts.max_batch)

    def submit(self, prompt: list[int], sampling: SamplingOptions, emit: Callable[[tuple], None],
               stop: tuple[int, ...] = ()) -> Request:
        req = Request(list(prompt), sampling, emit, tuple(stop))
        try:
            self.waiting.put_nowait(req)
        except queue.Full:
            raise QueueFull(f"all {self.opts.max_batch} slots are busy and {self.opts.max_queue} requests are "
                            f"waiting; retry later") from None
        return req

    def active(self) -> int:
        return sum(r is not None for r in self.slots)

    # -- the worker

    def _run(self):
        while not self._stop.is_set():
            self._admit()
            if not any(self.slots):
                try:
                    req = self.waiting.get(timeout=0.05)
                except queue.Empty:
                    continue
                self._start(self.slots.index(None), req)
                continue
            self._step()

    def _admit(self):
        while None in self.slots:
            try:
                req = self.waiting.get_nowait()
            except queue.Empty:
                return
            self._start(self.slots.index(None), req)

    def _start(self, slot: int, req: Request):
        import torch

        if req.cancelled:
            return
        s = req.sampling
        if not s.greedy:
            req.generator = torch.Generator().manual_seed(s.seed)
        try:
            logits = self.decoder.prefill(slot, req.prompt)
        except Exception as err:  # one bad request must not stop the worker
            req.emit(("error", f"{type(err).__name__}: {err}"))
            return
        req.pos = len(req.prompt)
        self.slots[slot] = req
        self._advance(slot, logits)

    def _advance(self, slot: int, logits):
        """Sample the slot's next token and emit it, or finish the request."""
        req = self.slots[slot]
        s = req.sampling
        token = sample_token(logits, 0.0 if s.greedy else s.temperature, s.top_p, s.top_k, req.generator)
        if token in req.stop:
            return self._finish(slot, "stop")
        req.generated += 1
        req.emit(("token", token))
        req.last = token
        if req.generated >= s.max_new_tokens or req.pos >= self.max_len:
            return self._finish(slot, "length")

    def _finish(self, slot: int, reason: str):
        self.slots[slot].emit(("done", reason))
        self.slots[slot] = None

    def _step(self):
        for i, req in enumerate(self.slots):
            if req is not None and req.cancelled:
                self.slots[i] = None
        live = [i for i, r in enumerate(self.slots) if r is not None]
        if not live:
            return
        tokens = [r.last if r is not None else 0 for r in self.slots]
        positions = [r.pos if r is not None else 0 for r in self.slots]
        try:
            logits = self.decoder.step(tokens, positions)
        except Exception as err:
            for i in live:
                self.slots[i].emit(("error", f"{type(err).__name__}: {err}"))
                self.slots[i] = None
            return
        self.steps += 1
        for i in live:
            self.slots[i].pos += 1
            self._advance(i, logits[i])
