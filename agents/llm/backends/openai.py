"""Any OpenAI-compatible chat-completions server (`vllm serve`, SGLang, TGI, hosted APIs), over the standard library.

Requests of a batch run in a thread pool (`concurrency`); 429, 5xx, timeouts and dropped connections are
retried with exponential backoff (honouring Retry-After); other 4xx fail at once with the server's message.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agents.llm.backends.base import Backend, Reply, Sampling
from agents.llm.messages import Message, to_openai


class OpenAIError(RuntimeError):
    """The server refused a request (4xx) or kept failing after every retry."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _server_message(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    try:
        error = json.loads(text).get("error", text)
        return str(error.get("message", error) if isinstance(error, dict) else error)[:2000]
    except (ValueError, AttributeError):
        return text[:2000]


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, base_url: str, model: str, sampling: Sampling | None = None, *, api_key: str | None = None,
                 concurrency: int = 8, timeout: float = 600.0, max_retries: int = 6, backoff: float = 1.0,
                 max_backoff: float = 60.0, extra_body: dict[str, Any] | None = None) -> None:
        base = base_url.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        self.sampling = sampling or Sampling()
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.concurrency = max(1, int(concurrency))
        self.timeout, self.max_retries = timeout, max(0, int(max_retries))
        self.backoff, self.max_backoff = backoff, max_backoff
        self.extra_body = dict(extra_body or {})

    def body(self, chat: list[Message], seed: int | None) -> dict[str, Any]:
        """The request body: model, messages (images as data URLs), the sampling settings that are set."""
        body: dict[str, Any] = {"model": self.model, "messages": to_openai(chat)}
        s = self.sampling
        for key, value in (("temperature", s.temperature), ("top_p", s.top_p), ("max_tokens", s.max_tokens),
                           ("seed", seed)):
            if value is not None:
                body[key] = value
        body.update(self.extra_body)
        return body

    def generate(self, chats: Sequence[list[Message]], seeds: Sequence[int | None] | None = None) -> list[Reply]:
        seeds = list(seeds) if seeds is not None else [None] * len(chats)
        if len(chats) <= 1:
            return [self._one(chat, seed) for chat, seed in zip(chats, seeds)]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(chats))) as pool:
            return list(pool.map(self._one, chats, seeds))

    def _one(self, chat: list[Message], seed: int | None) -> Reply:
        data = self.post(self.body(chat, seed))
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise OpenAIError(f"{self.url} answered without choices[0].message: {str(data)[:500]}") from exc
        usage = data.get("usage") or {}
        return Reply(text, usage.get("prompt_tokens"), usage.get("completion_tokens"))

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST with retries; the decoded JSON answer."""
        payload = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = ""
        for attempt in range(self.max_retries + 1):
            retry_after = None
            try:
                request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                message = _server_message(exc.read())
                if not _retryable(exc.code):
                    raise OpenAIError(f"{self.url} refused the request (HTTP {exc.code}, model {self.model!r}): "
                                      f"{message}", exc.code) from exc
                last, retry_after = f"HTTP {exc.code}: {message}", exc.headers.get("Retry-After")
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            except json.JSONDecodeError as exc:
                raise OpenAIError(f"{self.url} answered with something that is not JSON: {exc}") from exc
            if attempt < self.max_retries:
                time.sleep(self._delay(attempt, retry_after))
        raise OpenAIError(f"{self.url} kept failing after {self.max_retries + 1} attempts; last: {last}")

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(self.max_backoff, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return min(self.max_backoff, self.backoff * 2**attempt) * (0.5 + random.random() / 2)
