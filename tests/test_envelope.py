"""The envelope stage: an `ApiError` from any stage inside leaves in the API's envelope with its
headers, anything else is logged and leaves as the envelope's 500, and an error after an answer
began is logged and re-raised (the server drops the connection: nothing can replace half an answer)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from api_model import APIS, load
from mock_server.envelope import ApiError, Envelope, EnvelopeMiddleware

SCOPE = {"type": "http", "method": "GET", "path": "/v3/x%0Ay"}


def run(inner, api=None) -> list[dict]:
    """What the stage sends when the app inside it is `inner`."""
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():  # pragma: no cover - no stage here reads a body
        return {"type": "http.request", "body": b""}

    stage = EnvelopeMiddleware(inner, envelope=Envelope(api or load()))
    asyncio.run(stage(dict(SCOPE), receive, send))
    return sent


def raising(error: Exception):
    async def inner(scope, receive, send):
        raise error
    return inner


def answer(sent: list[dict]) -> tuple[int, dict[bytes, bytes], dict]:
    start, body = sent
    headers = dict(start["headers"])
    assert int(headers[b"content-length"]) == len(body["body"])
    return start["status"], headers, json.loads(body["body"])


def test_an_api_error_leaves_in_the_envelope_with_its_headers():
    status, headers, body = answer(run(raising(ApiError(429, "slow down", headers={"Retry-After": "3"}))))
    assert status == 429 and headers[b"retry-after"] == b"3"
    assert headers[b"content-type"] == b"application/problem+json"
    assert body["status"] == 429 and body["detail"] == "slow down"
    assert body["instance"] == SCOPE["path"]  # the path as received, not re-parsed


def test_the_envelope_is_the_apis_own():
    api = load(APIS["workspace"])
    status, headers, body = answer(run(raising(ApiError(404, "no such thing")), api))
    assert status == 404 and headers[b"content-type"] == api.kit.envelope.media_type.encode()
    assert body[api.kit.envelope.members["message"]] == "no such thing"


def test_any_other_exception_is_logged_and_answered_as_a_500(caplog):
    with caplog.at_level(logging.ERROR, logger="mock_server"):
        status, _, body = answer(run(raising(RuntimeError("boom"))))
    assert status == 500 and body["type"] == "internal_error" and "boom" not in body["detail"]
    assert "unhandled error on GET /v3/x%0Ay" in caplog.text and "RuntimeError: boom" in caplog.text


def test_an_error_after_the_answer_began_is_logged_and_raised(caplog):
    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("half way")

    with caplog.at_level(logging.ERROR, logger="mock_server"), pytest.raises(RuntimeError, match="half way"):
        run(inner)
    assert "after its answer began" in caplog.text


def test_an_answer_passes_through_untouched():
    messages = [{"type": "http.response.start", "status": 201, "headers": [(b"x", b"1")]},
                {"type": "http.response.body", "body": b"{}"}]

    async def inner(scope, receive, send):
        for message in messages:
            await send(message)

    assert run(inner) == messages
