"""The Rasa server as `crmbot run` starts it: Rasa's own app, with our guards.

What differs from `rasa run --enable-api`:
- it refuses to start on a Rasa other than the one bot.rasa.patches was written for, and
  installs those patches (explicitly, once, in their order) before it builds the app;
- the API token comes from settings (RASA_AUTH_TOKEN or the token file), never from argv,
  and there is always one;
- CORS allows only the shop origins in ALLOWED_ORIGINS (none by default), never a
  reflected origin;
- a model can be loaded or tested only from a file inside MODEL_DIR;
- request bodies are limited before they are read (bot.channels.limits);
- no access log (its URLs carry sender ids).

    python -m bot.rasa.server --model models/crmbot-….tar.gz
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

from crm_store.errors import CrmError
from crm_store.settings import PROJECT_ROOT, Settings, load_settings

log = logging.getLogger(__name__)


def inside(path: str, folder: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def install_model_guard(app: Any, model_dir: Path) -> None:
    """Refuse to load or evaluate a model from anywhere but the model directory."""
    from sanic import response

    @app.middleware("request")
    async def only_local_models(request: Any) -> Any:
        if not request.path.startswith("/model"):
            return None
        asked = [request.args.get("model")]
        if request.method == "PUT" and request.path.rstrip("/") == "/model":
            try:
                body = request.json or {}
            except Exception:
                body = {}
            if not isinstance(body, dict) or body.get("model_server") or body.get("remote_storage"):
                return response.json({"error": "Models load only from the model directory."}, status=403)
            asked.append(body.get("model_file") or "")
        for path in asked:
            if path is not None and not inside(path, model_dir):
                log.warning("model request outside the model directory refused", extra={"path": request.path})
                return response.json({"error": "Models load only from the model directory."}, status=403)
        return None


async def warm_up(app: Any, _loop: Any) -> None:
    """Parse one message before the port opens: the first parse builds TensorFlow's graphs,
    which takes many seconds on a busy machine, and the first customer should not wait for it."""
    await app.ctx.agent.parse_message("hello")


def nlu_pool_starter(model: Path, processes: int):  # type: ignore[no-untyped-def]
    """A listener that starts the NLU worker processes (bot.rasa.nlu_pool) once the server's loop runs."""

    async def start_nlu_pool(_app: Any, _loop: Any) -> None:
        from bot.rasa.nlu_pool import NluPool, set_pool

        pool = NluPool(model, processes)
        pool.start()
        set_pool(pool)

    return start_nlu_pool


async def stop_nlu_pool(_app: Any, _loop: Any) -> None:
    from bot.rasa.nlu_pool import current_pool, set_pool

    pool = current_pool()
    set_pool(None)
    if pool is not None:
        pool.close()


async def close_action_calls(_app: Any, _loop: Any) -> None:
    """The keep-alive connections to the action server (bot.rasa.speedups)."""
    from bot.rasa.speedups import close_action_sessions

    await close_action_sessions()


def create_rasa_app(settings: Settings, model: Path, credentials: str, endpoints_file: str) -> Any:
    from rasa.core.run import (
        close_resources,
        configure_app,
        create_http_input_channels,
        load_agent_on_start,
    )
    from rasa.core.utils import AvailableEndpoints

    from bot.channels.limits import install_request_limits

    token = settings.rasa_api_token
    if not token:
        raise CrmError("Rasa's HTTP API needs a token: set RASA_AUTH_TOKEN or write one to RASA_AUTH_TOKEN_FILE")
    endpoints = AvailableEndpoints.read_endpoints(endpoints_file)
    app = configure_app(
        create_http_input_channels(None, credentials),
        cors=list(settings.origins) or None,
        auth_token=token,
        enable_api=True,
        endpoints=endpoints,
        port=settings.rasa_port,
    )
    app.config.ACCESS_LOG = False
    install_request_limits(app, settings)
    install_model_guard(app, settings.model_path)
    app.register_listener(partial(load_agent_on_start, str(model), endpoints, None), "before_server_start")
    app.register_listener(warm_up, "before_server_start")
    from bot.rasa.nlu_pool import default_processes

    processes = (
        settings.nlu_processes if settings.nlu_processes is not None else default_processes(settings.rasa_workers)
    )
    if processes:
        # Started after the warm-up: until a worker has loaded the model, the server parses itself.
        app.register_listener(nlu_pool_starter(model, processes), "after_server_start")
        app.register_listener(stop_nlu_pool, "after_server_stop")
    app.register_listener(close_resources, "after_server_stop")
    app.register_listener(close_action_calls, "after_server_stop")
    app.ctx.crmbot_endpoints = endpoints
    return app


def create_tracker_tables() -> None:
    """Before the workers start: each builds its tracker store, which creates the tables it misses, and
    two doing that at once fail with "table events already exists" (logged by Rasa as an error)."""
    from bot.rasa.stores import CrmTrackerStore

    CrmTrackerStore().engine.dispose()  # no connection of this process goes on into the forked workers


# Thread pools of the numeric libraries, read when each library starts (so before Rasa imports
# them). The server works on one message at a time, and the sizes are small (MiniLM on one
# sentence, one embedding against the classifier's 2567 examples), so extra threads only cost:
# - OpenBLAS (numpy's and scipy's) hands a matrix-vector product to a second thread, which then
#   spins (sched_yield) for a long while waiting for more: 28 ms of CPU per message;
# - TensorFlow's default pools (a thread per core, spinning too): an encode cost 12 ms of CPU,
#   on one thread 8 ms, and no slower.
# (bench/turn_cpu.py and perf, docs/benchmarks.md, "Where a turn's CPU goes".) The environment may still set others.
THREAD_POOLS = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
}


def main(argv: list[str] | None = None) -> int:
    for name, value in THREAD_POOLS.items():
        os.environ.setdefault(name, value)
    from crm_store.logs import setup_logging

    parser = argparse.ArgumentParser(prog="python -m bot.rasa.server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--credentials", default="credentials.yml")
    parser.add_argument("--endpoints", default="endpoints.yml")
    args = parser.parse_args(argv)
    try:
        from bot.rasa.patches import check_rasa_version, install_patches

        check_rasa_version()
        settings = load_settings()
        from rasa.utils.log_utils import configure_structlog

        # Rasa's structlog lines go through the standard logging set up next (JSON, PII masked).
        configure_structlog(logging.getLevelName(settings.log_level))
        setup_logging(settings.log_level)
        install_patches()
        if not inside(args.model, settings.model_path):
            raise CrmError(f"--model must be a file in MODEL_DIR ({settings.model_path})")
        os.chdir(PROJECT_ROOT)
        app = create_rasa_app(settings, Path(args.model), args.credentials, args.endpoints)
    except CrmError as exc:
        print(f"rasa server: {exc}", file=sys.stderr)
        return 2
    from bot.dependencies import needs_of, wait_for
    from bot.heartbeat import clear_worker_beats, dependency_probe, install_sanic_heartbeat

    # The tracker database (and Redis in scale-out) down is a wait, beating "degraded", not a crash.
    needs = needs_of(settings, "rasa")
    wait_for(settings, "rasa", needs)
    # RASA_WORKERS, checked against the stores by load_settings. Not Rasa's SANIC_WORKERS: Rasa takes any
    # custom lock store (ours, CrmLockStore, even when it is the in-memory one) as shared between processes.
    workers = settings.rasa_workers
    if workers > 1:
        # From here on each worker beats as rasa.<pid>; the server's own beat (while it waited) would go silent.
        clear_worker_beats(settings.var_path, "rasa", including_own=True)
        create_tracker_tables()
    install_sanic_heartbeat(app, settings.var_path, "rasa", dependency_probe(settings, needs), workers=workers)
    log.info("rasa server listening", extra={"host": settings.host, "port": settings.rasa_port, "workers": workers})
    app.run(host=settings.host, port=settings.rasa_port, workers=workers, backlog=100, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
