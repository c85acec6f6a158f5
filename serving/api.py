"""The FastAPI app: JSON API under /v1, health and metrics, the Gradio UI at /ui."""

import logging
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Path, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse

from llm.classifier import ClassifierError
from serving.auth import Authenticator
from serving.batcher import BatcherClosed, Overloaded, RequestTimeout
from serving.config import ServingConfig
from serving.errors import APIError, error_responses, install_error_handlers
from serving.explain import ExplanationsUnavailable
from serving.export import csv_lines, json_text
from serving.metrics import MetricsMiddleware, ServingMetrics
from serving.model import ModelUnavailable
from serving.schemas import (
    MAX_ID,
    ClassifyResponse,
    EntryOut,
    EntryPage,
    ExplainResponse,
    ModelOut,
    ModelStatus,
    MoodSummary,
    PredictionOut,
    Timestamp,
    request_models,
)
from serving.service import JournalService
from serving.store import Entry

log = logging.getLogger(__name__)


def model_error(error: Exception, config: ServingConfig) -> APIError:
    """The API error for a failed classification or explanation."""
    retry = {"Retry-After": str(config.batching.retry_after_s)}
    if isinstance(error, Overloaded):
        return APIError(503, "overloaded", f"the server is busy: {error}", retry)
    if isinstance(error, ModelUnavailable):
        return APIError(503, "model_unavailable", f"the model is not ready: {error}", retry)
    if isinstance(error, ExplanationsUnavailable):
        return APIError(503, "explanations_unavailable", str(error), retry)
    if isinstance(error, BatcherClosed):
        return APIError(503, "shutting_down", str(error), retry)
    if isinstance(error, RequestTimeout):
        return APIError(504, "timeout", f"the model did not answer in time: {error}")
    if isinstance(error, ClassifierError):
        return APIError(500, "model_error", f"the model failed: {error}")
    log.exception("model call failed", exc_info=error)
    return APIError(500, "model_error", f"the model failed: {type(error).__name__}")


def create_app(config: ServingConfig) -> FastAPI:
    """Build the app for a config: routes, error shape, metrics and (optionally) the UI."""
    metrics = ServingMetrics()
    service = JournalService(config, metrics)
    auth = Authenticator(config)
    bodies = request_models(config.limits)
    User = Annotated[str, Depends(auth)]

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await service.start()
        print(f"emoai serving on http://{config.bind_host}:{config.port}  "
              f"(UI: /ui, API docs: /docs, metrics: /metrics)", flush=True)
        yield
        await service.stop()

    app = FastAPI(title="emoai", version="0.1.0", lifespan=lifespan,
                  description="Emotion detection for journaling: classify, explain, keep a journal.")
    app.state.service = service
    app.state.auth = auth
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    async def guarded(call):
        try:
            return await call
        except APIError:
            raise
        except Exception as error:
            if isinstance(error, Overloaded):
                metrics.rejected.labels("overloaded").inc()
            raise model_error(error, config) from None

    # health ------------------------------------------------------------------------------------
    @app.get("/healthz", tags=["health"], summary="The process is up")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="The model and the store are loaded",
             responses={503: {"description": "Not ready yet (or failed): the same body says which check"}})
    def readyz() -> JSONResponse:
        checks = {"model": service.runner.state, "explanations": service.explainer.state,
                  "crisis_model": service.crisis_model_state}
        try:
            service.store.ping()
            checks["store"] = "ready"
        except Exception as error:  # any database failure means not ready
            checks["store"] = f"failed: {type(error).__name__}"
        ready = checks["model"] == "ready" and checks["store"] == "ready"
        body = {"status": "ready" if ready else "not_ready", "checks": checks,
                "model_error": service.runner.error, "explanations_error": service.explainer.error}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text exposition format"}})
    def prometheus() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    # model -------------------------------------------------------------------------------------
    @app.get("/v1/model", tags=["model"], response_model=ModelStatus, summary="The served model",
             responses=error_responses(401, 500))
    def model(_user: User) -> ModelStatus:
        info = service.runner.info
        return ModelStatus(state=service.runner.state, error=service.runner.error,
                           model=ModelOut.of(info) if info else None,
                           config=service.runner.model_config.model_dump(),
                           load_seconds=service.runner.load_seconds)

    @app.post("/v1/classify", tags=["model"], response_model=ClassifyResponse, summary="Classify texts",
              responses=error_responses(400, 401, 422, 500, 503, 504))
    async def classify(body: bodies.classify, _user: User) -> ClassifyResponse:
        predictions = await guarded(service.classify(body.all_texts))
        return ClassifyResponse(predictions=[PredictionOut.of(p) for p in predictions],
                                model=ModelOut.of(service.runner.info))

    @app.post("/v1/explain", tags=["model"], response_model=ExplainResponse,
              summary="Classify a text, screen it, explain it and recommend activities",
              responses=error_responses(400, 401, 422, 500, 503, 504))
    async def explain(body: bodies.explain, _user: User) -> ExplainResponse:
        prediction, result = await guarded(service.explain(body.text))
        return ExplainResponse(prediction=PredictionOut.of(prediction),
                               model=ModelOut.of(service.runner.info),
                               safety=result.get("safety") or {}, path=result.get("path", ""),
                               explanation=result.get("explanation"),
                               recommendations=result.get("recommendations") or [],
                               sources=result.get("sources") or [])

    # journal -----------------------------------------------------------------------------------
    def entry_out(entry: Entry) -> EntryOut:
        return EntryOut.of(entry, service.model_version)

    def not_found(entry_id: int) -> APIError:
        return APIError(404, "not_found", f"no entry {entry_id}")

    Start = Annotated[Timestamp | None, Query(description="entries at or after this time (RFC 3339)")]
    End = Annotated[Timestamp | None, Query(description="entries before this time (RFC 3339)")]
    EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]
    listing_errors = error_responses(401, 422, 500)
    one_entry_errors = error_responses(401, 404, 422, 500)

    @app.post("/v1/entries", tags=["journal"], response_model=EntryOut, status_code=201,
              summary="Write an entry: stored first, then classified (and explained if asked)",
              responses={201: {"headers": {"Location": {"description": "the entry's URL", "schema": {"type": "string"}},
                                           "X-Emoai-Pending": {"description": "why the entry is not scored yet",
                                                               "schema": {"type": "string"}}}},
                         **error_responses(400, 401, 422, 500)})
    async def create_entry(body: bodies.entry, user: User, response: Response) -> EntryOut:
        entry, problem = await service.write_entry(user, body.text, body.timestamp, body.explain)
        if problem:
            response.headers["X-Emoai-Pending"] = problem[:200]
        response.headers["Location"] = f"/v1/entries/{entry.id}"
        return entry_out(entry)

    @app.get("/v1/entries", tags=["journal"], response_model=EntryPage, summary="List entries, newest first",
             responses=listing_errors)
    def list_entries(user: User, start: Start = None, end: End = None,
                     limit: Annotated[int, Query(ge=1, le=config.limits.max_page_size)] = 50,
                     offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> EntryPage:
        entries, total = service.store.list_entries(user, start, end, limit, offset)
        return EntryPage(entries=[entry_out(e) for e in entries], total=total, limit=limit, offset=offset)

    @app.get("/v1/entries/export", tags=["journal"], summary="Export entries as CSV or JSON", response_class=Response,
             responses={200: {"description": "the entries, oldest first, as a download",
                              "content": {"application/json": {"schema": {"type": "array",
                                                                          "items": {"type": "object"}}},
                                          "text/csv": {"schema": {"type": "string"}}}},
                        **listing_errors})
    def export_entries(user: User, format: Literal["csv", "json"] = "json", start: Start = None,
                       end: End = None) -> Response:
        entries = service.store.iter_entries(user, start, end)
        if format == "json":
            return Response(json_text(entries, service.model_version), media_type="application/json",
                            headers={"Content-Disposition": 'attachment; filename="journal.json"'})
        return StreamingResponse(csv_lines(entries, service.model_version), media_type="text/csv",
                                 headers={"Content-Disposition": 'attachment; filename="journal.csv"'})

    @app.get("/v1/entries/{entry_id:int}", tags=["journal"], response_model=EntryOut, summary="One entry",
             responses=one_entry_errors)
    def get_entry(entry_id: EntryId, user: User) -> EntryOut:
        entry = service.store.get_entry(user, entry_id)
        if entry is None:
            raise not_found(entry_id)
        return entry_out(entry)

    @app.delete("/v1/entries/{entry_id:int}", tags=["journal"], status_code=204, summary="Delete an entry",
                responses=one_entry_errors)
    def delete_entry(entry_id: EntryId, user: User) -> Response:
        if not service.store.delete_entry(user, entry_id):
            raise not_found(entry_id)
        return Response(status_code=204)

    @app.get("/v1/mood/summary", tags=["journal"], response_model=MoodSummary, summary="Mood per day or week",
             responses=listing_errors)
    def mood_summary(user: User, period: Literal["day", "week"] = "day", start: Start = None,
                     end: End = None) -> MoodSummary:
        version = service.model_version
        return MoodSummary(period=period, model_version=version,
                           buckets=service.store.mood_summary(user, period, version, start, end))

    if config.ui:
        from serving.ui import mount_ui

        app = mount_ui(app, service, auth)
    return app

