"""The chat page of scripts.serve in a real headless browser (Debian's chromium + chromium-driver,
driven by selenium): type a message, watch the reply stream in, press stop, start a new chat."""

import shutil
import time

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver "
                                                                   "(apt-get install -y chromium chromium-driver)")


@pytest.fixture(scope="module")
def server(fine_tuned):
    from scripts.serve import ServeOptions, ServerThread, create_app, load_engine

    engine = load_engine(ServeOptions(str(fine_tuned), max_batch=2, max_tokens_cap=512, compile=False))
    thread = ServerThread(create_app(engine))
    yield engine, thread
    thread.stop()
    engine.batcher.close()


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def wait_for(condition, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_type_see_streamed_reply_stop_and_new_chat(server, browser, monkeypatch):
    from selenium.webdriver.common.by import By

    engine, thread = server
    step, submit, events = engine.batcher.decoder.step, engine.batcher.submit, []

    def recording_submit(prompt, sampling, emit, **kw):
        # No stop tokens: a sampled end-of-turn after a few tokens would end the reply before the button
        # is pressed (seen under load); here only the button (or 300 tokens) can end it.
        kw["stop"] = ()
        return submit(prompt, sampling, lambda ev: events.append(ev[0]) or emit(ev), **kw)

    monkeypatch.setattr(engine.batcher, "submit", recording_submit)
    monkeypatch.setattr(engine.batcher.decoder, "step", lambda *a: time.sleep(0.03) or step(*a))  # watchable
    browser.get(thread.url + "/")
    wait_for(lambda: engine.name in browser.find_element(By.ID, "title").text)
    browser.find_element(By.ID, "max-tokens").clear()
    browser.find_element(By.ID, "max-tokens").send_keys("300")
    browser.find_element(By.ID, "temperature").clear()
    browser.find_element(By.ID, "temperature").send_keys("1")
    box = browser.find_element(By.ID, "input")
    box.send_keys("Tell me a story about a dog.")
    browser.find_element(By.ID, "send").click()
    assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".msg.user"))[0].text == "Tell me a story about a dog."
    reply = browser.find_element(By.CSS_SELECTOR, ".msg.assistant")
    first = wait_for(lambda: reply.text)  # text arrives while the reply is still being generated
    assert not reply.get_attribute("data-done") and browser.find_element(By.ID, "stop").is_enabled()
    wait_for(lambda: len(reply.text) > len(first) or reply.get_attribute("data-done"))
    browser.find_element(By.ID, "stop").click()
    wait_for(lambda: reply.get_attribute("data-done"))
    assert not browser.find_element(By.ID, "stop").is_enabled() and browser.find_element(By.ID, "send").is_enabled()
    wait_for(lambda: engine.batcher.active() == 0, timeout=5)  # the server freed the slot
    assert "token" in events and "done" not in events  # stopped by the button, not by the reply's end
    browser.find_element(By.ID, "new").click()
    assert browser.find_elements(By.CSS_SELECTOR, ".msg") == []
