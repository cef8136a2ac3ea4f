"""scripts.serve: the real server on an ephemeral port of 127.0.0.1, spoken to with the official
`openai` client. Greedy replies equal scripts.chat / scripts.sample on the same checkpoint, streamed
or not, alone or with other requests decoded in the same batch; every error is an OpenAI-style body."""

import io
import threading
import time

import pytest

openai = pytest.importorskip("openai")
httpx = pytest.importorskip("httpx2")  # the HTTP client the openai package itself uses


@pytest.fixture(scope="module")
def checkpoint(fine_tuned):
    """The suite's briefly fine-tuned tiny model (shared with the SFT tests): it answers chat with text."""
    return fine_tuned


@pytest.fixture(scope="module")
def server(checkpoint):
    from scripts.serve import ServeOptions, ServerThread, create_app, load_engine

    engine = load_engine(ServeOptions(str(checkpoint), max_batch=4, max_queue=8, max_tokens_cap=48,
                                      max_body_bytes=20_000, compile=False))
    thread = ServerThread(create_app(engine))
    yield engine, thread
    thread.stop()
    engine.batcher.close()


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server[1].url + "/v1", api_key="unused", max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def local(checkpoint):
    from tinyllm.model import load_checkpoint

    return load_checkpoint(checkpoint)


MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where did the cat go?"}]


def chat_reply(local, messages, n):
    from scripts.chat import reply
    from tinyllm.generate import SamplingOptions

    model, tok = local
    return reply(model, tok, [dict(m) for m in messages], SamplingOptions(max_new_tokens=n), out=io.StringIO())


def test_models_and_health(server, client):
    engine, thread = server
    assert [m.id for m in client.models.list().data] == [engine.name]
    health = httpx.get(thread.url + "/health").json()
    assert health["status"] == "ok" and health["model"] == engine.name


def test_chat_equals_scripts_chat_streamed_or_not(client, local):
    from tinyllm.chat import prompt_ids

    want = chat_reply(local, MESSAGES, 20)
    assert want  # a real reply, so equality means something
    got = client.chat.completions.create(model="x", messages=MESSAGES, temperature=0, max_tokens=20)
    assert got.choices[0].message.content == want and got.choices[0].message.role == "assistant"
    assert got.usage.prompt_tokens == len(prompt_ids(local[1], MESSAGES))
    assert got.choices[0].finish_reason in ("stop", "length")
    if got.choices[0].finish_reason == "length":
        assert got.usage.completion_tokens == 20
    assert got.usage.total_tokens == got.usage.prompt_tokens + got.usage.completion_tokens
    chunks = list(client.chat.completions.create(model="x", messages=MESSAGES, temperature=0, max_tokens=20,
                                                 stream=True, stream_options={"include_usage": True}))
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1  # really streamed
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == want
    assert chunks[-1].usage.completion_tokens == got.usage.completion_tokens


def test_completion_equals_scripts_sample(client, local):
    from scripts.sample import sample
    from tinyllm.generate import SamplingOptions

    model, tok = local
    want = sample(model, tok, ["Once upon a time"], SamplingOptions(max_new_tokens=16))[0]
    got = client.completions.create(model="x", prompt="Once upon a time", temperature=0, max_tokens=16)
    assert got.choices[0].text == want
    assert got.usage.prompt_tokens == 1 + len(tok.encode("Once upon a time", add_special_tokens=False))
    streamed = list(client.completions.create(model="x", prompt="Once upon a time", temperature=0, max_tokens=16,
                                              stream=True))
    assert len([c for c in streamed if c.choices[0].text]) > 1  # really streamed, not one final chunk
    assert "".join(c.choices[0].text for c in streamed) == want


def test_stop_strings_n_and_seed(client, local):
    full = client.completions.create(model="x", prompt="Lily had", temperature=0, max_tokens=24).choices[0].text
    stop = full[len(full) // 2:len(full) // 2 + 2]
    cut = client.completions.create(model="x", prompt="Lily had", temperature=0, max_tokens=24, stop=[stop])
    assert cut.choices[0].text == full[:full.index(stop)] and cut.choices[0].finish_reason == "stop"
    streamed = client.completions.create(model="x", prompt="Lily had", temperature=0, max_tokens=24, stop=stop,
                                         stream=True)
    assert "".join(c.choices[0].text for c in streamed) == full[:full.index(stop)]
    sampled = [client.completions.create(model="x", prompt="Lily had", temperature=1.0, top_p=0.9, max_tokens=12,
                                         n=3, seed=5) for _ in range(2)]
    texts = [[c.text for c in sorted(s.choices, key=lambda c: c.index)] for s in sampled]
    assert texts[0] == texts[1] and len(texts[0]) == 3  # a seed fixes every choice
    assert len(set(texts[0])) > 1  # each choice draws its own tokens


def test_concurrent_requests_equal_the_same_requests_alone(server, client):
    """Eight requests at once share the batcher's steps; each reply equals the one it gets alone."""
    engine, _ = server
    prompts = [f"Tom saw {w}" for w in ("a dog", "the sun", "Mia", "a big red ball", "it", "his mom", "a", "x y z")]

    def ask(p):
        return client.completions.create(model="x", prompt=p, temperature=0, max_tokens=24).choices[0].text

    alone = [ask(p) for p in prompts]
    steps_before = engine.batcher.steps
    together = [None] * len(prompts)
    threads = [threading.Thread(target=lambda i=i: together.__setitem__(i, ask(prompts[i]))) for i in
               range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together == alone
    # They really were decoded together: fewer batched steps than tokens generated.
    assert engine.batcher.steps - steps_before < 23 * len(prompts) * 0.75


def error_of(response, status):
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert set(body) == {"message", "type", "param", "code"} and body["message"]
    return body


def test_errors_are_openai_style(server, client):
    engine, thread = server
    url = thread.url + "/v1/completions"
    too_long = "one two three " * 200
    with pytest.raises(openai.BadRequestError) as err:
        client.completions.create(model="x", prompt=too_long, max_tokens=4)
    body = err.value.body
    assert body["code"] == "context_length_exceeded" and "prompt has" in body["message"]
    assert f"{engine.batcher.max_len} tokens" in body["message"]
    body = error_of(httpx.post(url, json={"prompt": "hi", "max_tokens": 49}), 400)
    assert body["param"] == "max_tokens" and "48" in body["message"]
    body = error_of(httpx.post(url, content=b'{"prompt": "hi",', headers={"content-type": "application/json"}), 400)
    assert "malformed JSON" in body["message"]
    body = error_of(httpx.post(url, json={"prompt": "hi", "temperature": "hot"}), 400)
    assert body["param"] == "temperature"
    body = error_of(httpx.post(thread.url + "/v1/chat/completions", json={"messages": [{"role": "robot",
                                                                                        "content": "hi"}]}), 400)
    assert body["param"] == "messages.0.role"
    error_of(httpx.post(url, json={"prompt": "x" * 30_000}), 413)
    error_of(httpx.post(thread.url + "/v1/nothing", json={}), 404)


def test_api_key(server):
    engine, thread = server
    engine.opts.api_key = "sesame"
    try:
        body = error_of(httpx.get(thread.url + "/v1/models"), 401)  # no key at all
        assert body["code"] == "invalid_api_key"
        wrong = openai.OpenAI(base_url=thread.url + "/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        ok = openai.OpenAI(base_url=thread.url + "/v1", api_key="sesame", max_retries=0)
        assert ok.models.list().data
        assert httpx.get(thread.url + "/health").status_code == 200  # health and the page stay open
    finally:
        engine.opts.api_key = None


def test_full_queue_is_503(server, client, monkeypatch):
    from tinyllm.batcher import QueueFull

    engine, _ = server

    def full(*a, **k):
        raise QueueFull("all 4 slots are busy and 8 requests are waiting; retry later")

    monkeypatch.setattr(engine.batcher, "submit", full)
    for stream in (False, True):
        with pytest.raises(openai.InternalServerError) as err:
            client.completions.create(model="x", prompt="hi", max_tokens=4, stream=stream)
        assert err.value.status_code == 503 and err.value.body["code"] == "queue_full"


def test_batcher_queue_is_bounded(checkpoint, local):
    from tinyllm.batcher import Batcher, BatcherOptions, QueueFull
    from tinyllm.generate import SamplingOptions

    b = Batcher(local[0], BatcherOptions(max_batch=1, max_queue=2, max_len=32, compile=False))  # not started
    for _ in range(2):
        b.submit([1, 2], SamplingOptions(), lambda ev: None)
    with pytest.raises(QueueFull):
        b.submit([1, 2], SamplingOptions(), lambda ev: None)


def test_client_gone_mid_stream_frees_its_slot(server, monkeypatch):
    engine, thread = server
    seen = []
    submit, step = engine.batcher.submit, engine.batcher.decoder.step
    monkeypatch.setattr(engine.batcher, "submit", lambda *a, **k: seen.append(submit(*a, **k)) or seen[-1])
    monkeypatch.setattr(engine.batcher.decoder, "step", lambda *a: time.sleep(0.02) or step(*a))  # 48 tokens ~1 s
    with httpx.stream("POST", thread.url + "/v1/completions",
                      json={"prompt": "hi", "max_tokens": 48, "temperature": 0, "stream": True}) as r:
        next(r.iter_lines())
    deadline = time.time() + 5
    while engine.batcher.active() and time.time() < deadline:
        time.sleep(0.01)
    assert engine.batcher.active() == 0
    assert seen[0].cancelled and seen[0].generated < 24


def test_page_is_served(server):
    page = httpx.get(server[1].url + "/")
    assert page.status_code == 200 and 'id="messages"' in page.text and "http" not in page.text.split("<script>")[1]
