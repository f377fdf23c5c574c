"""Every exception badgeflow raises, in one hierarchy.

```text
BadgeflowError
├── ConfigurationError           # bad settings; also a ValueError
├── CatalogError                 # bad/missing achievement, cyclic pathway
├── SourceError                  # LMS / export I/O
│   ├── SourceAuthError          # 401/403, bad token: permanent
│   ├── SourceConfigError        # the source does not know a configured course: permanent
│   └── SourceUnavailable        # timeouts, 429, 5xx: Transient
├── ContractError                # suite missing or unloadable (violations are a ContractReport)
│   └── BatchHalted              # a batch-level contract rule tripped: permanent, not retried
├── StoreError                   # database unreachable or schema out of date
│   ├── UnknownBatch             # no batch with that id in the ledger
│   └── BatchInProgress          # another live run owns the batch: do not run it twice
├── CredentialError              # cannot build, sign or parse a credential
│   ├── ContextNotPinned         # a JSON-LD context the strict loader does not hold
│   └── UndefinedTermError       # a term no loaded context defines (pyld would drop it)
└── DeliveryError                # a mail could not be delivered (5xx: permanent)
    └── DeliveryUnavailable      # SMTP 4xx / connection refused: Transient
        └── MailServerUnreachable  # no connection at all (or lost twice): stop sending
```

Problems in the *data* (a row failing a contract, a learner not yet eligible, a credential
failing verification) are values, not exceptions. Exceptions mean the run cannot go on.
`Transient` marks errors worth retrying; `is_transient` is what retry policies ask.
"""

from __future__ import annotations

__all__ = [
    "BadgeflowError",
    "BatchHalted",
    "BatchInProgress",
    "CatalogError",
    "ConfigurationError",
    "ContextNotPinned",
    "ContractError",
    "CredentialError",
    "DeliveryError",
    "DeliveryUnavailable",
    "MailServerUnreachable",
    "SourceAuthError",
    "SourceConfigError",
    "SourceError",
    "SourceUnavailable",
    "StoreError",
    "Transient",
    "UndefinedTermError",
    "UnknownBatch",
    "is_transient",
]


class BadgeflowError(Exception):
    """Base class of every badgeflow error."""


class Transient:
    """Mixin marking an error that may succeed when retried later."""


class ConfigurationError(BadgeflowError, ValueError):
    """The settings are missing something or contradict each other."""


class CatalogError(BadgeflowError, ValueError):
    """The badge catalog is invalid: a missing achievement, a bad rule, a cyclic pathway."""


class SourceError(BadgeflowError):
    """A completion source (LMS API or export file) could not be read."""


class SourceAuthError(SourceError):
    """The source rejected our credentials; retrying will not help."""


class SourceConfigError(SourceError):
    """The source answered, but does not know something the settings name (a course id)."""


class SourceUnavailable(SourceError, Transient):
    """The source is throttling, timing out or failing on its side; retry later."""


class ContractError(BadgeflowError):
    """A data contract is missing or cannot be loaded."""


class BatchHalted(ContractError):
    """A batch-level contract rule tripped: the batch stops before anything is issued.

    Permanent: re-running the same data trips it again. Fix the export, raise the limit, or
    re-run with the explicit override (``--accept-contract-breach``).
    """


class StoreError(BadgeflowError):
    """The database cannot be reached or its schema is not at the expected revision."""


class UnknownBatch(StoreError, KeyError):
    """No batch with this id is in the ledger (``badgeflow batches`` lists them)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class BatchInProgress(StoreError):
    """Another flow run that is still running owns this batch; running it twice would race."""


class CredentialError(BadgeflowError):
    """A credential could not be built, signed or parsed."""


class ContextNotPinned(CredentialError):
    """A JSON-LD document asked for a context the strict offline loader does not hold."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"JSON-LD context {url!r} is not pinned: badgeflow never fetches contexts at run "
            "time. Add a pinned copy to badgeflow/credentials/contexts/ if it is needed."
        )
        self.url = url


class UndefinedTermError(CredentialError):
    """A document uses a term that none of its contexts defines.

    pyld silently drops such terms from the canonical form, so they would not be covered by
    the signature. We refuse to sign (or accept) them instead.
    """

    def __init__(self, terms: list[str]) -> None:
        super().__init__(
            "terms not defined by the document's JSON-LD contexts (they would not be signed): "
            + ", ".join(sorted(set(terms)))
        )
        self.terms = sorted(set(terms))


class DeliveryError(BadgeflowError):
    """An email could not be delivered.

    Attributes:
        code: the SMTP reply code that refused the message, when there was one.
    """

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class DeliveryUnavailable(DeliveryError, Transient):
    """The mail server is unreachable or answered with a temporary (4xx) failure."""


class MailServerUnreachable(DeliveryUnavailable):
    """No connection to the mail server (refused, or dropped again right after reconnecting).

    Sending the rest of a chunk would fail the same way, so the sender stops and leaves the
    remaining emails queued for the next run.
    """


def is_transient(exc: BaseException) -> bool:
    """Tell whether an error is worth retrying.

    Args:
        exc: the exception raised by a failed attempt.

    Returns:
        True when the error, or any error in its ``__cause__`` chain, is `Transient`.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, Transient):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False
