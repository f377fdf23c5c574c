"""The HTTP layer every LMS connector shares (see ``badgeflow/lms/README.md``).

- `ApiClient`: httpx with a per-vendor `Classifier`, retries (`RetryPolicy`: exponential
  backoff with full jitter, ``Retry-After`` in seconds or as an HTTP-date, capped attempts
  and total wait), one credential refresh after a 401, and a `Redactor` applied to every
  log line and error message.
- `BearerToken`, `OAuth2ClientCredentials`: authenticators.
- `paginate`, `next_link`: page through any listing with a guard against paging loops.
"""

from __future__ import annotations

from badgeflow.lms._http.client import (
    ApiClient,
    Authenticator,
    BearerToken,
    Classifier,
    Redactor,
    classify_http,
)
from badgeflow.lms._http.oauth2 import OAuth2ClientCredentials
from badgeflow.lms._http.paging import next_link, paginate
from badgeflow.lms._http.retry import NO_RETRY, RetryPolicy, parse_retry_after

__all__ = [
    "NO_RETRY",
    "ApiClient",
    "Authenticator",
    "BearerToken",
    "Classifier",
    "OAuth2ClientCredentials",
    "Redactor",
    "RetryPolicy",
    "classify_http",
    "next_link",
    "paginate",
    "parse_retry_after",
]
