"""Serve a checkpoint over an OpenAI-compatible HTTP API, with a web chat page at /.

    python -m scripts.serve runs/quickstart/sft/final                     # http://127.0.0.1:8000
    python -m scripts.serve CHECKPOINT --port 8080 --api-key SECRET       # clients send "Bearer SECRET"
    python -m scripts.serve CHECKPOINT --host 0.0.0.0                      # reachable from other machines

Endpoints: GET /v1/models, POST /v1/chat/completions (messages rendered with the checkpoint's chat
template, as scripts.chat does), POST /v1/completions (plain continuation after <s>, as
scripts.sample does), both with "stream": true as server-sent events ending in [DONE]; GET /health;
GET / (the chat page). Requests are decoded together by one model worker (tinyllm.batcher).
"""


import argparse
import asyncio
import dataclasses
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tinyllm.batcher import Batcher, BatcherOptions, QueueFull
from tinyllm.chat import prompt_ids
from tinyllm.errors import TinyLLMError, run_cli
from tinyllm.generate import SamplingOptions, stop_ids
from tinyllm.model import load_checkpoint

PAGE = Path(__file__).with_name("chat.html")


@dataclass
class ServeOptions:
    checkpoint: str
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    max_batch: int = 8                 # requests decoded together
    max_queue: int = 64                # requests waiting for a slot before 503
    max_tokens_cap: int = 512          # the largest max_tokens a request may ask for
    max_body_bytes: int = 1 << 20      # 413 above this
    compile: str = "auto"              # torch.compile the decode step (auto: unless quantized or LoRA)
    allow_pickle: bool = False


class ApiError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None, kind: str = "invalid_request_error",
                 code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.kind, self.code = status, message, param, kind, code

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


def request_sampling(body, max_tokens: int) -> SamplingOptions:
    """The one mapping from a request's OpenAI fields to tinyllm's sampling options (temperature 0:
    greedy; no seed: a fresh random one, as the OpenAI API does)."""
    seed = body.seed if body.seed is not None else secrets.randbits(62)
    return SamplingOptions(do_sample=body.temperature > 0, temperature=body.temperature, top_p=body.top_p,
                           max_new_tokens=max_tokens, seed=seed)


class TextStream:
    """Token ids -> text deltas for one choice: cut at the first stop string, hold back text that could
    still become one (or an unfinished UTF-8 character), and for chat trim whitespace at both ends,
    so the concatenated deltas equal the non-streamed text."""

    def __init__(self, tok, stops: list[str], strip: bool):
        self.tok, self.stops, self.strip = tok, [s for s in stops if s], strip
        self.ids: list[int] = []
        self.sent = ""
        self.hit = False

    def _text(self) -> str:
        text = self.tok.decode(self.ids, skip_special_tokens=True)
        text = text.lstrip() if self.strip else text
        cuts = [text.find(s) for s in self.stops if s in text]
        if cuts:
            self.hit = True
            text = text[:min(cuts)]
        return text

    def _delta(self, text: str) -> str:
        delta = text[len(self.sent):] if text.startswith(self.sent) else ""
        self.sent += delta
        return delta

    def feed(self, token: int) -> str:
        self.ids.append(token)
        text = self._text()
        if self.hit:
            return self._delta(text.rstrip() if self.strip else text)
        text = text.rstrip() if self.strip else text
        hold = max((len(s) - 1 for s in self.stops), default=0)
        text = text[:len(text) - hold] if hold else text
        return self._delta(text.rstrip("\ufffd"))

    def finish(self) -> str:
        text = self._text()
        return self._delta(text.rstrip() if self.strip else text)


class Engine:
    """The loaded checkpoint, its tokenizer and the batcher; prompt rendering for both endpoints."""

    def __init__(self, model, tok, opts: ServeOptions, name: str):
        self.tok, self.opts, self.name = tok, opts, name
        self.context = model.config.max_position_embeddings
        self.batcher = Batcher(model, BatcherOptions(opts.max_batch, opts.max_queue, None, opts.compile))
        self.chat_stops = stop_ids(tok) if tok.chat_template else [tok.eos_token_id]
        self.completion_stops = [tok.eos_token_id]

    def chat_prompt(self, messages: list[dict]) -> list[int]:
        if self.tok.chat_template is None:
            raise ApiError(400, "this checkpoint's tokenizer has no chat template; use /v1/completions", "messages")
        return prompt_ids(self.tok, messages)

    def completion_prompt(self, text: str) -> list[int]:
        return [self.tok.bos_token_id, *self.tok.encode(text, add_special_tokens=False)]


def _models():
    """Request bodies (pydantic, built on first use so importing this module stays cheap)."""
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    class Common(BaseModel):
        model_config = ConfigDict(extra="allow")  # clients send fields we do not use (user, logit_bias, ...)
        model: str | None = None
        max_tokens: int | None = Field(None, ge=1)
        max_completion_tokens: int | None = Field(None, ge=1)
        temperature: float = Field(1.0, ge=0, le=2)
        top_p: float = Field(1.0, gt=0, le=1)
        n: int = Field(1, ge=1, le=8)
        stream: bool = False
        stream_options: dict | None = None
        stop: str | list[str] | None = None
        seed: int | None = None

    class Message(BaseModel):
        role: Literal["system", "user", "assistant"]
        content: str

    class Chat(Common):
        messages: list[Message] = Field(min_length=1)

    class Completion(Common):
        prompt: str

    return Chat, Completion


def create_app(engine: Engine):
    """The FastAPI application over a started engine."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
    from starlette.background import BackgroundTask
    from starlette.exceptions import HTTPException as StarletteHTTPException

    Chat, Completion = _models()
    opts = engine.opts
    app = FastAPI(title="tinyllm", docs_url=None, redoc_url=None)

    @app.exception_handler(ApiError)
    async def api_error(_, err: ApiError):
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_, err: RequestValidationError):
        first = err.errors()[0]
        if first.get("type") == "json_invalid":
            return await api_error(None, ApiError(400, f"malformed JSON body: {first.get('msg')}"))
        loc = [str(p) for p in first.get("loc", ()) if p != "body"]
        param = ".".join(loc) or None
        return await api_error(None, ApiError(400, f"field '{param}': {first.get('msg')}" if param
                                              else f"request body: {first.get('msg')}", param))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_, err):
        return await api_error(None, ApiError(err.status_code, str(err.detail), kind="invalid_request_error"))

    @app.middleware("http")
    async def limits(request: Request, call_next):
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > opts.max_body_bytes:
            return JSONResponse(ApiError(413, f"request body of {size} bytes exceeds the limit of "
                                              f"{opts.max_body_bytes}").body(), status_code=413)
        if opts.api_key and request.url.path.startswith("/v1/"):
            if request.headers.get("authorization", "") != f"Bearer {opts.api_key}":
                return JSONResponse(ApiError(401, "missing or wrong API key (send 'Authorization: Bearer KEY')",
                                             kind="authentication_error", code="invalid_api_key").body(),
                                    status_code=401)
        return await call_next(request)

    @app.get("/health")
    async def health():
        return {"status": "ok", "model": engine.name, "active": engine.batcher.active(),
                "waiting": engine.batcher.waiting.qsize()}

    @app.get("/", response_class=HTMLResponse)
    async def page():
        return PAGE.read_text(encoding="utf-8")

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": engine.name, "object": "model", "created": 0, "owned_by": "tinyllm"}]}

    def check(body, prompt: list[int]) -> int:
        """The request's max_tokens after the limits, or an ApiError."""
        asked = body.max_completion_tokens or body.max_tokens
        if asked is not None and asked > opts.max_tokens_cap:
            raise ApiError(400, f"max_tokens is {asked}; this server allows at most {opts.max_tokens_cap}",
                           "max_tokens")
        if len(prompt) >= engine.batcher.max_len:
            raise ApiError(400, f"this model's maximum context length is {engine.batcher.max_len} tokens; the "
                                f"prompt has {len(prompt)} tokens, leaving none for the reply",
                           "messages" if hasattr(body, "messages") else "prompt", code="context_length_exceeded")
        return asked or opts.max_tokens_cap

    def cancel_all(reqs):
        for r in reqs:  # a client gone mid-stream (or an error) frees every slot it held
            r.cancel()

    async def choices(prompt, sampling, stop_tokens, n, stops, strip, reqs):
        """(index, text delta, finish_reason or None, tokens so far) from n requests decoded together;
        each request is appended to `reqs` as it is submitted."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue()
        streams, counts = [TextStream(engine.tok, stops, strip) for _ in range(n)], [0] * n
        try:
            for i in range(n):
                s = dataclasses.replace(sampling, seed=sampling.seed + i)
                emit = (lambda i: lambda ev: loop.call_soon_threadsafe(events.put_nowait, (i, ev)))(i)
                try:
                    reqs.append(engine.batcher.submit(prompt, s, emit, stop=stop_tokens))
                except QueueFull as err:
                    raise ApiError(503, str(err), kind="server_error", code="queue_full") from None
            finished = [False] * n
            while not all(finished):
                i, (kind, value) = await events.get()
                if finished[i]:  # tokens the worker made before it saw a stop string's cancel
                    continue
                if kind == "token":
                    counts[i] += 1
                    delta = streams[i].feed(value)
                    if streams[i].hit:
                        reqs[i].cancel()
                        finished[i] = True
                        yield i, delta, "stop", counts[i]
                    elif delta:
                        yield i, delta, None, counts[i]
                elif kind == "done":
                    finished[i] = True
                    yield i, streams[i].finish(), value, counts[i]
                elif kind == "error":
                    raise ApiError(500, f"generation failed: {value}", kind="server_error")
        finally:
            cancel_all(reqs)

    def stop_strings(body) -> list[str]:
        return [body.stop] if isinstance(body.stop, str) else list(body.stop or [])

    async def respond(body, prompt, stop_tokens, chat: bool):
        max_tokens = check(body, prompt)
        sampling = request_sampling(body, max_tokens)
        rid, created = f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex[:24]}", int(time.time())
        kind = "chat.completion" if chat else "text_completion"
        reqs = []
        gen = choices(prompt, sampling, stop_tokens, body.n, stop_strings(body), chat, reqs)
        if not body.stream:
            texts, reasons, used = [""] * body.n, [None] * body.n, [0] * body.n
            async for i, delta, reason, count in gen:
                texts[i] += delta
                used[i] = count
                reasons[i] = reason or reasons[i]
            out = [{"index": i, "message": {"role": "assistant", "content": texts[i]}} if chat else
                   {"index": i, "text": texts[i], "logprobs": None} for i in range(body.n)]
            for i, c in enumerate(out):
                c["finish_reason"] = reasons[i]
            return {"id": rid, "object": kind, "created": created, "model": engine.name, "choices": out,
                    "usage": usage(len(prompt), sum(used))}
        first = await anext_or_error(gen)  # a full queue is still a 503, not a broken stream

        def chunk(choices_, **extra):
            return "data: " + json.dumps({"id": rid, "object": kind + ("" if not chat else ".chunk"),
                                          "created": created, "model": engine.name, "choices": choices_, **extra}) + "\n\n"

        def piece(i, delta, reason):
            if chat:
                return {"index": i, "delta": {"content": delta} if delta else {}, "finish_reason": reason}
            return {"index": i, "text": delta, "logprobs": None, "finish_reason": reason}

        async def sse():
            used = [0] * body.n
            if chat:
                yield chunk([{"index": i, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
                             for i in range(body.n)])
            items = [first] if first else []
            try:
                for item in items:
                    used[item[0]] = item[3]
                    yield chunk([piece(*item[:3])])
                async for i, delta, reason, count in gen:
                    used[i] = count
                    yield chunk([piece(i, delta, reason)])
            except ApiError as err:
                yield "data: " + json.dumps(err.body()) + "\n\n"
            if (body.stream_options or {}).get("include_usage"):
                yield chunk([], usage=usage(len(prompt), sum(used)))
            yield "data: [DONE]\n\n"

        # A client that goes away while a chunk is being sent leaves these generators to the garbage
        # collector, and their `finally` with them: the slots are also freed once the response is over.
        return StreamingResponse(sse(), media_type="text/event-stream", background=BackgroundTask(cancel_all, reqs))

    async def anext_or_error(gen):
        try:
            return await gen.__anext__()
        except StopAsyncIteration:
            return None

    @app.post("/v1/chat/completions")
    async def chat_completions(body: Chat):
        messages = [m.model_dump() for m in body.messages]
        return await respond(body, engine.chat_prompt(messages), engine.chat_stops, chat=True)

    @app.post("/v1/completions")
    async def completions(body: Completion):
        return await respond(body, engine.completion_prompt(body.prompt), engine.completion_stops, chat=False)

    return app


def usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def load_engine(opts: ServeOptions) -> Engine:
    model, tok = load_checkpoint(opts.checkpoint, allow_pickle=opts.allow_pickle)
    path = Path(opts.checkpoint).resolve()
    name = f"{path.parent.name}/{path.name}" if path.name == "final" else path.name
    engine = Engine(model.eval(), tok, opts, name)
    engine.batcher.warm_up()  # compile before the first request, not during it
    engine.batcher.start()
    return engine


class ServerThread:
    """uvicorn serving `app` from a background thread (tests and the load test): `.port`, `.url`, `.stop()`."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.time() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{host}:{self.port}"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


def parse_args(argv) -> ServeOptions:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="any checkpoint a stage writes (final/, int8 or nf4 ones included)")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY' on /v1/*")
    p.add_argument("--max-batch", type=int, default=8, help="requests decoded together")
    p.add_argument("--max-queue", type=int, default=64, help="requests waiting before 503")
    p.add_argument("--max-tokens-cap", type=int, default=512)
    p.add_argument("--compile", default="auto", choices=["auto", "true", "false"])
    p.add_argument("--allow-pickle-weights", action="store_true")
    a = p.parse_args(argv)
    for name in ("max_batch", "max_queue", "max_tokens_cap"):
        if getattr(a, name) < 1:
            raise TinyLLMError(f"--{name.replace('_', '-')} must be at least 1")
    return ServeOptions(a.checkpoint, a.host, a.port, a.api_key, a.max_batch, a.max_queue, a.max_tokens_cap,
                        compile={"auto": "auto", "true": True, "false": False}[a.compile],
                        allow_pickle=a.allow_pickle_weights)


def main(argv=None):
    opts = parse_args(argv)
    import uvicorn

    engine = load_engine(opts)
    print(f"serving {engine.name} at http://{opts.host}:{opts.port} (chat page at /, API at /v1)", flush=True)
    uvicorn.run(create_app(engine), host=opts.host, port=opts.port, log_level="info")
    engine.batcher.close()
    return 0


if __name__ == "__main__":
    run_cli(main)
