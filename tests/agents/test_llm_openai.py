"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 (no network beyond the loopback)."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from agents.llm import make_agent
from agents.llm.backends.openai import OpenAIBackend, OpenAIError
from agents.llm.messages import observation_parts
from agents.rollout import run_episodes
from helix_gym.core.env import HelixEnv


class ChatServer:
    """Speaks /v1/chat/completions; `script` holds (status, delay) answers to give before the normal ones."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.script: list[tuple[int, float]] = []
        self.lock = threading.Lock()
        self.in_flight = self.max_in_flight = 0
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                    status, delay = server.script.pop(0) if server.script else (200, server.delay)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                time.sleep(delay)
                with server.lock:
                    server.in_flight -= 1
                if self.path != "/v1/chat/completions":
                    status = 404
                if status == 200:
                    last = body["messages"][-1]["content"]
                    text = last if isinstance(last, str) else last[0]["text"]
                    answer = {"choices": [{"index": 0, "message": {"role": "assistant",
                                                                   "content": f"echo {len(text)} \\boxed{{up}}"}}],
                              "usage": {"prompt_tokens": 123, "completion_tokens": 7}}
                else:
                    answer = {"error": {"message": f"scripted failure {status}", "code": status}}
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with ChatServer() as s:
        yield s


def chat(text: str = "hello") -> list[dict]:
    return [{"role": "user", "content": observation_parts({"text": text})}]


def test_image_episodes_send_model_sampling_and_png_data_urls(server):
    agent = make_agent(f"openai:{server.url}#tiny-model", temperature=0.5, top_p=0.9, max_new_tokens=64, seed=7)
    envs = [HelixEnv("Maze", mode="answer", obs="image", image_size=64) for _ in range(2)]
    episodes = run_episodes(envs, agent, [{"seed": 1}, {"seed": 2}])
    assert [e.actions[0].endswith("\\boxed{up}") for e in episodes] == [True, True]
    assert agent.last_usage == [{"prompt_tokens": 123, "completion_tokens": 7}] * 2
    assert len(server.requests) == 2
    for body in server.requests:
        assert body["model"] == "tiny-model"
        assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.5, 0.9, 64)
        assert isinstance(body["seed"], int)
        [user] = body["messages"]
        assert user["role"] == "user"
        text, image = user["content"]
        assert text["type"] == "text" and text["text"].endswith("Put your final answer within \\boxed{}.")
        assert image["type"] == "image_url"
        url = image["image_url"]["url"]
        assert url.startswith("data:image/png;base64,")
        picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
        assert picture.shape == (64, 64, 3)
    sent = {np.asarray(Image.open(io.BytesIO(base64.b64decode(
        b["messages"][0]["content"][1]["image_url"]["url"].split(",", 1)[1])))).tobytes() for b in server.requests}
    assert sent == {env.unwrapped._image().tobytes() for env in envs}
    assert all("Authorization" not in h for h in server.headers)


def test_text_observations_are_plain_strings_and_the_api_key_is_sent(server):
    backend = OpenAIBackend(server.url, "m", api_key="sk-test")
    [reply] = backend.generate([chat("plain")])
    assert server.requests[0]["messages"] == [{"role": "user", "content": "plain"}]
    assert "temperature" not in server.requests[0] and "max_tokens" not in server.requests[0]
    assert server.headers[0]["Authorization"] == "Bearer sk-test"
    assert (reply.text, reply.prompt_tokens, reply.completion_tokens) == ("echo 5 \\boxed{up}", 123, 7)


def test_429_and_500_are_retried_with_backoff(server):
    server.script = [(429, 0.0), (500, 0.0), (502, 0.0)]
    backend = OpenAIBackend(server.url, "m", backoff=0.01)
    [reply] = backend.generate([chat()])
    assert reply.text.startswith("echo")
    assert len(server.requests) == 4


def test_a_400_fails_at_once_with_the_servers_message(server):
    server.script = [(400, 0.0)]
    backend = OpenAIBackend(server.url, "m", backoff=0.01)
    with pytest.raises(OpenAIError, match=r"HTTP 400.*'m'.*scripted failure 400") as caught:
        backend.generate([chat()])
    assert caught.value.status == 400
    assert len(server.requests) == 1


def test_persistent_5xx_and_timeouts_give_up_with_the_last_error(server):
    server.script = [(503, 0.0), (503, 0.0)]
    with pytest.raises(OpenAIError, match=r"after 2 attempts; last: HTTP 503"):
        OpenAIBackend(server.url, "m", max_retries=1, backoff=0.01).generate([chat()])
    server.script = [(200, 0.5)]
    with pytest.raises(OpenAIError, match=r"after 1 attempts; last: .*timed out"):
        OpenAIBackend(server.url, "m", max_retries=0, timeout=0.1).generate([chat()])


def test_a_batch_runs_concurrently_within_the_limit_and_keeps_its_order(server):
    server.delay = 0.05
    backend = OpenAIBackend(server.url, "m", concurrency=2)
    replies = backend.generate([chat("x" * n) for n in range(1, 6)])
    assert [r.text for r in replies] == [f"echo {n} \\boxed{{up}}" for n in range(1, 6)]
    assert server.max_in_flight <= 2


def test_a_wrong_path_is_a_clear_client_error(server):
    backend = OpenAIBackend(server.url.replace("/v1", "/v2"), "m")
    with pytest.raises(OpenAIError, match="HTTP 404"):
        backend.generate([chat()])


def test_pictures_are_encoded_once_however_often_the_chat_is_resent(monkeypatch):
    from agents.llm import messages

    calls = []
    real = messages.png_data_url
    monkeypatch.setattr(messages, "png_data_url", lambda image: calls.append(1) or real(image))
    chat = [{"role": "user", "content": observation_parts({"text": "q", "image": np.zeros((28, 28, 3), np.uint8)})}]
    assert messages.to_openai(chat) == messages.to_openai(chat)
    assert len(calls) == 1
