"""`python -m serving [--config FILE] [--host H] [--port P]`: the API and the journaling UI."""

import logging
import sys
from typing import Annotated

import typer

from llm.cli_support import command_settings, examples, new_app, run
from serving.config import LOCAL_HOST, load_serving_config

log = logging.getLogger("serving")
EXAMPLES = examples(
    "  python -m serving",
    "  python -m serving --config configs/serving.yaml --port 8080",
    "  EMOAI_API_KEYS='{secret-key-1: alice}' python -m serving --host 0.0.0.0 --port 8000",
    note="Then open http://127.0.0.1:8000/ui (the journaling UI), /docs (the API), or POST /v1/classify.")
app = new_app("Serve the emotion API and the journaling UI.")


@app.command(help="Serve the emotion API and the journaling UI.", epilog=EXAMPLES, context_settings=command_settings())
def serve(config: Annotated[str | None, typer.Option(metavar="FILE", help="serving YAML (default: "
                                                                          "configs/serving.yaml)")] = None,
          host: Annotated[str | None, typer.Option(help="interface to bind (needs api_keys for anything but "
                                                        "127.0.0.1)")] = None,
          port: Annotated[int | None, typer.Option(help="port (default 8000)")] = None) -> None:
    import uvicorn

    settings = load_serving_config(config, host=host, port=port)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.host != settings.bind_host:
        log.warning("no API keys configured: single-user mode, binding to %s instead of %s", LOCAL_HOST,
                    settings.host)
    from serving.api import create_app

    uvicorn.run(create_app(settings), host=settings.bind_host, port=settings.port, log_level=settings.log_level,
                timeout_graceful_shutdown=settings.shutdown_grace_s)


def main(argv: list[str] | None = None) -> int:
    return run(app, argv, "python -m serving")


if __name__ == "__main__":
    sys.exit(main())
