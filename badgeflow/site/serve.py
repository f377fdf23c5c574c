"""Preview the verification site over HTTP with the standard library (local use only)."""

from __future__ import annotations

import functools
import logging
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["SiteServer", "serve"]

logger = logging.getLogger(__name__)


class _SiteHandler(SimpleHTTPRequestHandler):
    # application/json rather than application/vc+ld+json or application/did+json: every
    # verifier accepts it, and the OB 3.0 spec allows it for credentials with embedded proofs.
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".jwt": "text/plain; charset=utf-8",
        ".css": "text/css",
        ".html": "text/html; charset=utf-8",
    }

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        # Status list credentials live at extension-less URLs (status/<purpose>/<n>).
        parts = Path(os.fspath(path)).parts
        if "status" in parts[:-1] and not Path(os.fspath(path)).suffix:
            return "application/json"
        return super().guess_type(path)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


class SiteServer:
    """A running preview server; use it as a context manager to stop it.

    Attributes:
        directory: the folder served.
    """

    def __init__(self, directory: Path, host: str, port: int) -> None:
        self.directory = directory
        handler = functools.partial(_SiteHandler, directory=str(directory))
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="badgeflow-site",
            daemon=True,
        )

    @property
    def url(self) -> str:
        """Base URL the site is served at, with a trailing slash."""
        host, port = self._httpd.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        if ":" in host_text:
            host_text = f"[{host_text}]"
        return f"http://{host_text}:{port}/"

    def start(self) -> SiteServer:
        """Start serving in a background thread (idempotent).

        Returns:
            The server itself.
        """
        if not self._thread.is_alive():
            self._thread.start()
            logger.info("serving %s at %s", self.directory, self.url)
        return self

    def wait(self) -> None:
        """Block until the server is stopped (for the command line)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> SiteServer:
    """Serve a built site folder over HTTP in a background thread.

    Args:
        directory: the folder `build_site` wrote.
        host: interface to listen on; loopback by default.
        port: port to listen on; 0 picks a free one (see `SiteServer.url`).

    Returns:
        The started server. Stop it with `SiteServer.stop` or a ``with`` block.

    Examples:
        >>> with serve(Path("var/site"), port=0) as server:  # doctest: +SKIP
        ...     print(server.url)
    """
    return SiteServer(directory, host, port).start()
