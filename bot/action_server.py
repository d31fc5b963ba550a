"""The action server: rasa-sdk's Sanic app, bound to HOST, answering only Rasa.

Rasa sends the shared secret (ACTION_SERVER_TOKEN, endpoints.yml `X-Action-Token`)
with every call; anything without it gets 401 before an action runs. `/health`
stays open for the supervisor. Actions run in a bounded thread pool, never on the
event loop, with bounded database statements (bot/action_runner.py).

    python -m bot.action_server        (what `crmbot run` starts)
"""

from __future__ import annotations

import hmac
import logging
import sys

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from crm_store.errors import CrmError
from crm_store.settings import Settings, load_settings

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Action-Token"


def create_action_app(settings: Settings) -> Sanic:
    from rasa_sdk import endpoint

    from bot.action_runner import OffLoopExecutor, bound_statements
    from crm_store.db import engine_for

    if not settings.action_server_token:
        raise CrmError("ACTION_SERVER_TOKEN is not set: the action server answers only calls that carry it")
    bound_statements(engine_for(settings.database_url), settings.action_db_seconds)
    # rasa-sdk builds its executor inside create_app: ours runs actions off the event loop.
    plain_executor = endpoint.ActionExecutor
    endpoint.ActionExecutor = lambda: OffLoopExecutor(settings)  # type: ignore[assignment,misc]
    try:
        app = endpoint.create_app("actions", cors_origins=None)  # no CORS: browsers have no business here
    finally:
        endpoint.ActionExecutor = plain_executor  # type: ignore[misc]
    expected = settings.action_server_token.encode()
    app.config.REQUEST_MAX_SIZE = 10 * 1024 * 1024  # a long tracker, not an upload

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            return None
        given = request.headers.get(TOKEN_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("action server call refused: missing or wrong token", extra={"path": request.path})
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def action_failed(request: Request, exception: Exception) -> HTTPResponse:
        # rasa-sdk's own handler echoes the request body (the whole tracker) back and into the log.
        log.error("action call failed", exc_info=exception)
        return response.json({"error": "the action failed"}, status=500)

    app.error_handler.add(Exception, action_failed)
    from bot.heartbeat import dependency_probe, install_sanic_heartbeat

    install_sanic_heartbeat(app, settings.var_path, "actions", dependency_probe(settings, ("crm",)))
    return app


def main() -> int:
    from crm_store.logs import setup_logging

    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        app = create_action_app(settings)
    except CrmError as exc:
        print(f"action server: {exc}", file=sys.stderr)
        return 2
    log.info("action server listening", extra={"host": settings.host, "port": settings.action_port})
    app.run(host=settings.host, port=settings.action_port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
