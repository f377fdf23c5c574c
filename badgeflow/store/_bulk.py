"""Bulk INSERT of many rows with SQLAlchemy's own value conversions but not its per-row work.

``session.execute(insert(table), rows)`` builds a parameter dict per row through the
compiled statement (name lookups, literal checks) before it hands the list to the driver's
``executemany``; at tens of thousands of rows that is a second of CPU on top of the
conversions themselves. On SQLite, `insert_rows` compiles the INSERT once, applies each
column type's bind processor for the dialect (``type.dialect_impl(dialect).bind_processor``,
the very function SQLAlchemy applies, so UTC datetimes and JSON documents are stored as the
same text) and sends plain tuples to ``executemany``. Other databases take SQLAlchemy's
general path.

`dialect_insert` gives the INSERT of the session's database, for ``ON CONFLICT DO NOTHING``:
rows another transaction stored first (two runs at once) are skipped, not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["dialect_insert", "insert_rows"]


def dialect_insert(session: Session) -> Callable[..., Any]:
    """PostgreSQL's or SQLite's ``insert`` (both offer ``on_conflict_do_nothing``)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_existing: Sequence[str] = (),
) -> None:
    """INSERT the rows (each with the same keys, the table's column names) in one batch.

    Args:
        session: the caller's session; the caller commits.
        table: the table.
        rows: the rows; every row has the keys of the first one.
        skip_existing: a unique key's columns: a row whose key is already stored (by a
            transaction that committed meanwhile) is skipped (``ON CONFLICT DO NOTHING``).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    statement = dialect_insert(session)(table)
    if skip_existing:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_existing))
    if dialect.name != "sqlite":
        session.execute(statement, list(rows))
        return
    columns = list(rows[0])
    compiled = statement.compile(dialect=dialect, column_keys=columns)
    order = list(compiled.positiontup or ())
    if not compiled.positional or sorted(order) != sorted(columns):
        # Columns left out get their defaults from SQLAlchemy's general path.
        session.execute(statement, list(rows))
        return
    columns_out: list[list[Any]] = []
    for name in order:
        values = [row[name] for row in rows]
        kind = table.c[name].type.dialect_impl(dialect)  # SQLite's own DATETIME, JSON
        process: Callable[[Any], Any] | None = kind.bind_processor(dialect)
        columns_out.append(values if process is None else list(map(process, values)))
    connection.exec_driver_sql(str(compiled), list(zip(*columns_out, strict=True)))
