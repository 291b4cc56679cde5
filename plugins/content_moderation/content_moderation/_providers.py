"""Optional provider backends: an OpenAI-compatible moderation endpoint, an LLM Guard API.

Each returns, for every text sent, a score per category (0 to 1). The HTTP call uses
the standard library in a thread, with the backend's timeout (cut to the time the event
has left); any failure (connection, timeout, a status other than 200, a body of the
wrong shape) raises ``ProviderError``, and the plugin then fails open or closed as
configured. Nothing is sent anywhere unless a provider is configured.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Scores = dict[str, float]
PROVIDERS = ("none", "openai", "llm_guard")
#: LLM Guard scanner -> category, unless the config maps them itself.
LLM_GUARD_SCANNERS = {
    "Toxicity": "harassment",
    "BanTopics": "violence",
    "BanSubstrings": "profanity",
}


class ProviderError(Exception):
    """The provider gave no usable answer."""


class Provider(Protocol):
    @property
    def name(self) -> str: ...

    async def scores(self, texts: Sequence[str], timeout: float) -> list[Scores]: ...


def _post(url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout: float) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise ProviderError(f"{url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ProviderError(f"{url} could not be reached: {exc}") from None
    except ValueError as exc:
        raise ProviderError(f"{url} answered with a body that is not JSON: {exc}") from None


async def post(
    url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout: float
) -> Any:
    try:
        return await asyncio.wait_for(
            asyncio.to_thread(_post, url, body, headers, timeout), timeout
        )
    except TimeoutError:
        raise ProviderError(f"{url} did not answer within {timeout:.1f}s") from None


def _category(name: str) -> str:
    """``self-harm/intent`` -> ``self_harm``."""
    return name.split("/", 1)[0].replace("-", "_")


@dataclass(frozen=True)
class OpenAIModeration:
    """``POST {url}/moderations`` with ``{"model", "input": [texts]}``: one result per text."""

    url: str
    model: str
    api_key: str = ""
    name: str = "openai"

    async def scores(self, texts: Sequence[str], timeout: float) -> list[Scores]:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model, "input": list(texts)}
        answer = await post(self.url.rstrip("/") + "/moderations", body, headers, timeout)
        try:
            results = answer["results"]
            if len(results) != len(texts):
                raise ProviderError(f"{len(results)} results for {len(texts)} inputs")
            out = []
            for result in results:
                scores: Scores = {}
                for name, value in result["category_scores"].items():
                    category = _category(name)
                    scores[category] = max(scores.get(category, 0.0), float(value))
                out.append(scores)
            return out
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ProviderError(f"unexpected moderation answer: {exc!r}") from None


@dataclass(frozen=True)
class LlmGuard:
    """LLM Guard API: ``POST {url}`` with ``{"prompt": text}`` per text, answered with
    ``{"is_valid", "scanners": {scanner: risk score}}``; scanners map to categories."""

    url: str
    scanners: Mapping[str, str] = field(default_factory=lambda: dict(LLM_GUARD_SCANNERS))
    api_key: str = ""
    name: str = "llm_guard"

    async def _one(self, text: str, timeout: float) -> Scores:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        answer = await post(self.url, {"prompt": text}, headers, timeout)
        try:
            scores: Scores = {}
            for scanner, value in answer["scanners"].items():
                category = self.scanners.get(scanner)
                if category is not None:
                    scores[category] = max(scores.get(category, 0.0), float(value))
            return scores
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ProviderError(f"unexpected LLM Guard answer: {exc!r}") from None

    async def scores(self, texts: Sequence[str], timeout: float) -> list[Scores]:
        return list(await asyncio.gather(*(self._one(t, timeout) for t in texts)))


def provider_from(config: Mapping[str, Any]) -> Provider | None:
    """The configured provider, or None; ``ValueError`` naming the key when it is wrong."""
    kind = config.get("type", "none")
    if kind not in PROVIDERS:
        raise ValueError(f"provider.type must be one of {list(PROVIDERS)}, got {kind!r}")
    if kind == "none":
        return None
    url = str(config.get("url") or "")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"provider.url must be an http(s) URL for provider {kind!r}, got {url!r}")
    key_env = str(config.get("api_key_env") or "")
    api_key = os.environ.get(key_env, "") if key_env else ""
    if kind == "openai":
        return OpenAIModeration(url, str(config.get("model") or "omni-moderation-latest"), api_key)
    scanners = dict(config.get("scanners") or LLM_GUARD_SCANNERS)
    return LlmGuard(url, scanners, api_key)
