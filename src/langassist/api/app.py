"""The FastAPI app factory. The lifespan owns the shared resources (assessor, metrics).

    app = create_app(settings, token=token,
                     assessor_factory=lambda: service.create_assessor(settings),
                     stage_factory=lambda: service.create_streaming_stage(settings, transcriber))

``assessor_factory`` runs once at startup; ``stage_factory`` once per audio stream
(it should share an already loaded model); ``translator_factory`` (optional) once at
startup, for ``POST /v1/translate``. All pipeline work runs on one
:class:`~langassist.api.pool.CallScheduler` (``live.decode_workers`` threads, round robin
across calls); beyond ``live.max_calls`` calls new ones are refused (close 1013, HTTP
503). Docs are off unless ``dev=True``;
``/openapi.json`` needs the token like every route except ``/health``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import FastAPI, Path, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, Response

from langassist.api import ws as ws_loops
from langassist.api.metrics import Metrics
from langassist.api.pool import CallScheduler, PoolFull, default_workers
from langassist.api.schemas import (
    WIRE_SCHEMA,
    CallList,
    ChatMessage,
    ChatResponse,
    Health,
    SessionLogin,
    StreamStart,
    StreamStop,
    TranslateRequest,
    TranslateResponse,
    TwilioMessage,
    WireEvent,
)
from langassist.api.security import (
    COOKIE_NAME,
    LOGIN_PATH,
    OPEN_PATHS,
    SecurityMiddleware,
    token_matches,
)
from langassist.api.session import SessionRegistry
from langassist.config import LiveSettings
from langassist.errors import LangassistError
from langassist.events import TranscriptFinal

__all__ = ["ApiLimits", "Metrics", "create_app"]

CallId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]


ApiLimits = LiveSettings
"""The API's limits are the ``[live]`` settings (``settings.live``); tests may pass others."""


def create_app(
    settings: Any,
    *,
    token: str,
    assessor_factory: Callable[[], Any],
    stage_factory: Callable[[], Any],
    limits: ApiLimits | None = None,
    translator_factory: Callable[[], Any] | None = None,
    allowed_hosts: Iterable[str] = (),
    allowed_origins: Iterable[str] = (),
    dev: bool = False,
    twilio_auth_token: str | None = None,
) -> FastAPI:
    if not token or len(token) < 16:
        raise ValueError("the API token must be at least 16 characters")
    live: LiveSettings = limits or getattr(settings, "live", None) or LiveSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics = Metrics()
        assessor = await asyncio.to_thread(assessor_factory)
        workers = live.decode_workers or default_workers(settings.asr.cpu_threads)
        pool = CallScheduler(workers, live.max_calls, observe_wait=metrics.pool_wait.observe,
                             observe_run=metrics.pool_run.observe)
        registry = SessionRegistry(assessor, metrics, history=live.events_history,
                                   queue_capacity=live.events_queue)
        metrics.bind(
            active_calls=lambda: pool.active_calls, pool_queued=lambda: pool.queued_jobs,
            pending_audio=lambda: sum(s.pending_s for s in list(registry.calls.values())),
            events_queued=lambda: registry.queued,
        )
        app.state.langassist = SimpleNamespace(
            settings=settings, token=token, limits=live, metrics=metrics, pool=pool, registry=registry,
            stage_factory=stage_factory, twilio_sessions=[], chat_ids=itertools.count(1),
            twilio_auth_token=twilio_auth_token or None,
            translator=translator_factory() if translator_factory else None,
        )
        try:
            yield
        finally:
            await asyncio.to_thread(pool.close)
            registry.calls.clear()

    app = FastAPI(
        title="langassist live API",
        version="1",
        lifespan=lifespan,
        docs_url="/docs" if dev else None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(SecurityMiddleware, token=token, allowed_hosts=allowed_hosts,
                       allowed_origins=allowed_origins)

    def state(request: Request) -> Any:
        return request.app.state.langassist

    @app.get("/health", response_model=Health)
    async def health(request: Request) -> Health:
        return Health(active_streams=int(state(request).metrics.active_streams._value.get()))

    @app.get("/metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(state(request).metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(_openapi(app))

    @app.post("/v1/calls/{call_id}/messages", response_model=ChatResponse, response_model_by_alias=True,
              responses={503: {"description": "Every call slot (live.max_calls) is taken; retry later."}})
    async def post_message(call_id: CallId, message: ChatMessage, request: Request) -> Any:
        """Assess one chat message; returns the events it produced (also sent on the events socket)."""
        st = state(request)
        started = time.perf_counter()
        try:
            lane = st.pool.admit(call_id)
        except PoolFull as error:
            st.metrics.refused.labels("chat").inc()
            return JSONResponse({"detail": str(error)}, status_code=503, headers={"retry-after": "5"})
        try:
            call = st.registry.get(call_id)
            final = TranscriptFinal(
                call_id=call_id, track=message.speaker, utterance_id=f"chat-{next(st.chat_ids)}",
                start_s=message.time, end_s=message.time, text=message.text, source="chat",
            )
            events = await asyncio.wrap_future(st.pool.submit(lane, call.assess, [final]))
        finally:
            st.pool.release(lane)
        wire = call.publish(events)
        st.metrics.chat_latency.observe(time.perf_counter() - started)
        return {"schema": WIRE_SCHEMA, "call_id": call_id, "events": wire}

    @app.post(LOGIN_PATH, status_code=204, response_class=Response,
              responses={401: {"description": "wrong token"}})
    async def login(body: SessionLogin) -> Response:
        """The sidebar's login: checks the token (JSON body) and sets the HttpOnly session cookie."""
        if not token_matches(token, body.token):
            return JSONResponse({"detail": "wrong token"}, status_code=401)
        response = Response(status_code=204)
        response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="strict", path="/")
        return response

    @app.delete(LOGIN_PATH, status_code=204, response_class=Response)
    async def logout() -> Response:
        """Forget the session cookie."""
        response = Response(status_code=204)
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
        return response

    @app.get("/v1/calls", response_model=CallList)
    async def list_calls(request: Request) -> CallList:
        """Call ids the server holds, most recent first (at most 50)."""
        return CallList(calls=list(reversed(list(state(request).registry.calls)))[:50])

    @app.post("/v1/translate", response_model=TranslateResponse)
    async def translate(body: TranslateRequest, request: Request) -> TranslateResponse:
        """Translate a text with the backend configured for the pair (the sidebar's panel)."""
        router = state(request).translator
        if router is None:
            return TranslateResponse(status="no_backend", source=body.source, target=body.target,
                                     message="No translator is configured on this server.")
        terms = tuple(getattr(getattr(settings, "suggestions", None), "protected_terms", ()) or ())
        try:
            outcome = await asyncio.to_thread(router.translate, [body.text], source=body.source,
                                              target=body.target, terms=terms)
        except LangassistError as error:
            return TranslateResponse(status="failed", source=body.source, target=body.target, message=str(error))
        text = outcome.translations[0].text if outcome.ok and outcome.translations else None
        return TranslateResponse(status=outcome.status, source=outcome.source or body.source,
                                 target=outcome.target or body.target, text=text, backend=outcome.backend,
                                 message=outcome.message)

    @app.get("/sidebar", response_class=HTMLResponse)
    async def sidebar() -> Response:
        """The agent sidebar (static; it asks for the token once and keeps only a cookie)."""
        html = resources.files("langassist.api").joinpath("static/sidebar.html").read_text("utf-8")
        return HTMLResponse(html, headers={
            "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'none'; "
            "base-uri 'none'; frame-ancestors 'none'",
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "cache-control": "no-store",
        })

    @app.websocket("/v1/calls/{call_id}/events")
    async def events_socket(websocket: WebSocket, call_id: str) -> None:
        if not ws_loops._SAFE_ID.sub("", call_id) == call_id or not 0 < len(call_id) <= 128:
            await websocket.close(ws_loops.CLOSE_POLICY)
            return
        await ws_loops.events_loop(websocket, call_id)

    @app.websocket("/v1/stream")
    async def stream_socket(websocket: WebSocket) -> None:
        await ws_loops.native_stream_loop(websocket)

    @app.websocket("/v1/twilio")
    async def twilio_socket(websocket: WebSocket) -> None:
        await ws_loops.twilio_loop(websocket)

    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document plus the WebSocket wire schemas under ``components.schemas``."""
    if app.openapi_schema is None:
        document = app.openapi()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in (WireEvent, StreamStart, StreamStop, TwilioMessage):
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in body.pop("$defs", {}).items():
                schemas.setdefault(name, sub)
            schemas[model.__name__] = body
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}}}
        schemas["ErrorDetail"] = {"title": "ErrorDetail", "type": "object", "required": ["detail"],
                                  "properties": {"detail": {"title": "Detail", "type": "string"}}}
        for path, operations in document.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.setdefault("403", {"description": "Host or Origin not allowed", **error})
                if path not in OPEN_PATHS:
                    responses.setdefault("401", {"description": "Token missing or wrong", **error})
                if "requestBody" in operation:
                    responses.setdefault("400", {"description": "Body is not valid JSON", **error})
        document["x-websockets"] = {
            "/v1/calls/{call_id}/events": {"sends": "WireEvent"},
            "/v1/stream": {"receives": ["StreamStart", "binary: 1-byte track index + PCM16 LE", "StreamStop"]},
            "/v1/twilio": {"receives": "TwilioMessage"},
        }
        app.openapi_schema = document
    return app.openapi_schema
