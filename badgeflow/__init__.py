"""badgeflow: batch issuance of verifiable Open Badges 3.0 credentials from LMS completions."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
