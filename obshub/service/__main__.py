"""``python -m obshub.service [--host H] [--port P]``: run the service with uvicorn.

Inside a hub the bind address comes from ``JUPYTERHUB_SERVICE_URL``; standalone it defaults to
127.0.0.1:8765. TLS: ``--certfile``/``--keyfile`` (or put a reverse proxy in front).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from urllib.parse import urlparse

from obshub.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL") or "http://127.0.0.1:8765")
    p = argparse.ArgumentParser(prog="python -m obshub.service", description=__doc__)
    p.add_argument("--host", default=url.hostname or "127.0.0.1")
    p.add_argument("--port", type=int, default=url.port or 8765)
    p.add_argument("--certfile", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--keyfile", help="the certificate's private key (PEM)")
    p.add_argument("--log-level", default="info")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")

    import uvicorn

    from obshub.service.app import create_app
    from obshub.service.settings import Settings

    try:
        app = create_app(Settings.from_env())
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        # Behind the hub's proxy (or nginx) the client address and scheme come from headers.
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
