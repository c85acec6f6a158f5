"""`python -m serving [--config FILE] [--host H] [--port P]`: the API and the journaling UI."""

import argparse
import logging

import uvicorn

from serving.config import LOCAL_HOST, load_serving_config

log = logging.getLogger("serving")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__)
    parser.add_argument("--config", help="serving YAML (default: configs/serving.yaml)")
    parser.add_argument("--host", help="interface to bind (needs api_keys for anything but 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8000)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = load_serving_config(args.config, host=args.host, port=args.port)
    logging.basicConfig(level=config.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if config.host != config.bind_host:
        log.warning("no API keys configured: single-user mode, binding to %s instead of %s", LOCAL_HOST,
                    config.host)
    from serving.api import create_app

    uvicorn.run(create_app(config), host=config.bind_host, port=config.port, log_level=config.log_level,
                timeout_graceful_shutdown=config.shutdown_grace_s)


if __name__ == "__main__":
    main()
