"""Chat messages built from env observations, shared by every backend.

A message is `{"role": ..., "content": [part, ...]}` with parts `{"type": "text", "text": str}` and
`{"type": "image", "image": uint8 HxWx3 array}`. The user content follows the MM-HELIX evaluation protocol:
the question text (which already ends with the env's `\\boxed{}` instruction), then the image. Backends convert
this neutral form to their own (`to_openai`: data URLs; `to_hf`: placeholders plus a list of PIL images).
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
from PIL import Image

Message = dict[str, Any]
Part = dict[str, Any]

PARAGRAPH = "\n\n"
NO_CHANGE = "(The observation did not change.)"


def text_part(text: str) -> Part:
    return {"type": "text", "text": text}


def image_part(image: np.ndarray) -> Part:
    return {"type": "image", "image": image}


def observation_parts(observation: dict[str, Any], text: str | None = None) -> list[Part]:
    """Text first, then the picture (MM-HELIX order); `text` overrides the observation's text."""
    parts = [text_part(observation.get("text", "") if text is None else text)]
    if observation.get("image") is not None:
        parts.append(image_part(np.asarray(observation["image"], dtype=np.uint8)))
    return parts


def new_paragraphs(text: str, seen: str) -> str:
    """The paragraphs of `text` that `seen` lacks, in order.

    Follow-up observations repeat the whole question (retry feedback and step status are appended to it);
    the first observation stays in the history, so only what is new needs sending."""
    known = set(seen.split(PARAGRAPH))
    fresh = [p for p in text.split(PARAGRAPH) if p.strip() and p not in known]
    return PARAGRAPH.join(fresh)


def images_of(message: Message) -> list[np.ndarray]:
    return [p["image"] for p in message["content"] if p["type"] == "image"]


def text_of(message: Message) -> str:
    return PARAGRAPH.join(p["text"] for p in message["content"] if p["type"] == "text")


def has_images(messages: list[Message]) -> bool:
    return any(p["type"] == "image" for m in messages for p in m["content"])


def estimate_text_tokens(text: str) -> int:
    """A tokenizer-free upper-ish estimate (grids and digits run near 2-3 characters per token)."""
    return math.ceil(len(text) / 3) + 1


def estimate_image_tokens(image: np.ndarray) -> int:
    """Qwen2-VL-family cost: one token per 28x28 pixel block, plus the two vision delimiters."""
    height, width = image.shape[:2]
    return math.ceil(height / 28) * math.ceil(width / 28) + 2


def png_data_url(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def to_openai(messages: list[Message]) -> list[dict[str, Any]]:
    """The chat-completions form: images as base64 PNG data URLs; text-only content as a plain string,
    which text-only servers and templates accept too."""
    out = []
    for message in messages:
        parts = message["content"]
        if all(p["type"] == "text" for p in parts):
            out.append({"role": message["role"], "content": text_of(message)})
            continue
        content = []
        for p in parts:
            if p["type"] == "text":
                content.append({"type": "text", "text": p["text"]})
            else:  # encoded once per picture: a multi-turn chat resends its pictures every turn
                url = p.get("data_url") or p.setdefault("data_url", png_data_url(p["image"]))
                content.append({"type": "image_url", "image_url": {"url": url}})
        out.append({"role": message["role"], "content": content})
    return out


def to_hf(messages: list[Message], multimodal: bool) -> tuple[list[dict[str, Any]], list[Image.Image]]:
    """For `apply_chat_template`: a processor gets `{"type": "image"}` placeholders and the PIL images in order;
    a text-only tokenizer gets plain-string content and refuses images."""
    template, images = [], []
    for message in messages:
        if not multimodal:
            if any(p["type"] == "image" for p in message["content"]):
                raise ValueError("this model reads text only: play it with obs='text'")
            template.append({"role": message["role"], "content": text_of(message)})
            continue
        content = []
        for p in message["content"]:
            if p["type"] == "text":
                content.append({"type": "text", "text": p["text"]})
            else:
                content.append({"type": "image"})
                images.append(Image.fromarray(np.asarray(p["image"], dtype=np.uint8)))
        template.append({"role": message["role"], "content": content})
    return template, images
