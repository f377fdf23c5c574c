"""The static verification site: `build.build_site` writes it, `serve.serve` previews it."""

from __future__ import annotations
