"""Load test of scripts.serve: the same greedy streaming requests sent one at a time, then by many
concurrent clients; every reply must equal the one its request got alone.

    python -m scripts.bench_serving runs/quickstart/pretrain/final --clients 32 --requests 256
    python -m scripts.bench_serving CHECKPOINT --max-batch 16 --max-tokens 64 --compile false

The server runs in this process (uvicorn on an ephemeral port of 127.0.0.1) and the clients are
threads using the official `openai` client, so nothing leaves the machine. Prints requests/s,
generated tokens/s, p50/p95 latency (request sent to last token) and time to first token for both
runs, and the number of lost (failed) and differing replies, which must both be 0.
"""

import argparse
import statistics
import threading
import time
from dataclasses import dataclass

from scripts.serve import ServeOptions, ServerThread, create_app, load_engine
from tinyllm.errors import TinyLLMError, run_cli

NAMES = ["Lily", "Tom", "Mia", "Ben", "Sam", "Anna", "Max", "Zoe"]
THINGS = ["a red ball", "a big dog", "the sun", "a little bird", "her mom", "a toy car", "the park", "a cake"]


@dataclass
class Result:
    text: str | None       # None: the request failed
    latency: float
    first_token: float
    tokens: int


def prompts(n: int) -> list[str]:
    """n distinct prompts, so a reply delivered to the wrong request shows."""
    return [f"{NAMES[i % 8]} saw {THINGS[(i // 8) % 8]} and {i}" for i in range(n)]


def one(client, prompt: str, max_tokens: int) -> Result:
    start = time.perf_counter()
    first, parts, tokens = None, [], 0
    try:
        stream = client.completions.create(model="x", prompt=prompt, temperature=0, max_tokens=max_tokens,
                                           stream=True, stream_options={"include_usage": True})
        for chunk in stream:
            if chunk.choices and chunk.choices[0].text:
                first = first or time.perf_counter()
                parts.append(chunk.choices[0].text)
            if chunk.usage:
                tokens = chunk.usage.completion_tokens
    except Exception as err:  # counted as lost, reported below
        print(f"request failed: {type(err).__name__}: {err}")
        return Result(None, time.perf_counter() - start, 0.0, 0)
    end = time.perf_counter()
    return Result("".join(parts), end - start, (first or end) - start, tokens)


def run(client, requests: list[str], clients: int, max_tokens: int) -> tuple[list[Result], float]:
    """Send `requests` from `clients` threads (each takes the next unsent one); (results, seconds)."""
    results: list[Result | None] = [None] * len(requests)
    next_index = iter(range(len(requests)))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            results[i] = one(client, requests[i], max_tokens)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - start


def summary(name: str, results: list[Result], seconds: float) -> str:
    ok = [r for r in results if r.text is not None]
    lat = sorted(r.latency for r in ok)
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan")
    return (f"| {name} | {len(results)} | {len(results) / seconds:.1f} | {sum(r.tokens for r in ok) / seconds:,.0f} | "
            f"{statistics.median(lat) if lat else float('nan'):.3f} | {p95:.3f} | "
            f"{statistics.median(r.first_token for r in ok) if ok else float('nan'):.3f} | {len(results) - len(ok)} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--requests", type=int, default=256)
    p.add_argument("--max-tokens", type=int, default=32)
    p.add_argument("--max-batch", type=int, default=8)
    p.add_argument("--compile", default="auto", choices=["auto", "true", "false"])
    a = p.parse_args(argv)
    if a.clients < 1 or a.requests < 1:
        raise TinyLLMError("--clients and --requests must be at least 1")
    import openai

    engine = load_engine(ServeOptions(a.checkpoint, max_batch=a.max_batch, max_queue=max(64, a.clients),
                                      max_tokens_cap=a.max_tokens,
                                      compile={"auto": "auto", "true": True, "false": False}[a.compile]))
    server = ServerThread(create_app(engine))
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=600)
    try:
        requests = prompts(a.requests)
        alone, alone_s = run(client, requests, 1, a.max_tokens)
        together, together_s = run(client, requests, a.clients, a.max_tokens)
    finally:
        server.stop()
        engine.batcher.close()
    differing = sum(x.text is not None and y.text is not None and x.text != y.text for x, y in zip(alone, together))
    lost = sum(r.text is None for r in alone + together)
    print(f"{engine.name}: {a.requests} greedy streaming requests of up to {a.max_tokens} tokens, max_batch "
          f"{a.max_batch}, compile {a.compile}\n")
    print("| run | requests | req/s | gen tok/s | p50 latency s | p95 latency s | p50 first token s | lost |")
    print("|---|---|---|---|---|---|---|---|")
    print(summary("one at a time", alone, alone_s))
    print(summary(f"{a.clients} concurrent clients", together, together_s))
    print(f"\nlost: {lost}, differing from the same request alone: {differing}")
    return 1 if lost or differing else 0


if __name__ == "__main__":
    run_cli(main)
