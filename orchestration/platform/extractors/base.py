"""The Extractor interface, its errors, and the retry policy every engine shares.

An extractor describes a source (its exact Arrow schema, from the driver: no catalog query)
and streams it as record batches of at most `BATCH_ROWS` rows, so memory does not grow with
the table. Driver errors come out as `ExtractError`: the YAML entry named, the secret
redacted, transient or permanent.
"""

from __future__ import annotations

import contextlib
import queue
import random
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pyarrow as pa

from orchestration.platform.connections import ConnectionSpec, Credentials
from orchestration.platform.extractors.sql import DIALECTS, Source, Window, null_cursor_sql
from orchestration.platform.extractors.types import Column, Refusal, refused_column, schema_of

BATCH_ROWS = 65_536
T = TypeVar("T")

# SQLSTATEs (PostgreSQL, Denodo) and error codes (MySQL, MariaDB) worth another attempt
TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "53300"}
TRANSIENT_MYSQL_CODES = {1040, 1053, 1205, 1213, 1927, 2003, 2006, 2013, 2055}
TRANSIENT_WORDS = (
    "terminating connection",
    "connection closed",
    "kind: closed",  # rust-postgres under connectorx, when the server ends the session mid-read
    "connection reset",
    "broken pipe",
    "timed out",
    "timeout",
    "deadlock",
    "lost connection",
    "server has gone away",
    "connection refused",
    "could not connect",
    "unexpected eof",
    "connection to server",
)
# what to fix, by the words of the driver's message
HINTS = (
    (
        ("password", "access denied", "authentication"),
        "check the user and the password held by the connection's `password_env` variable",
    ),
    (
        ("does not exist", "doesn't exist", "unknown table", "invalid object name", "undefined"),
        "check `table:`/`schema:`/`query:` of the entry and the `database:` of its connection",
    ),
    (("permission denied", "command denied"), "grant the connection's user SELECT on the source"),
    (
        ("invalid byte sequence", "utf-8", "utf8", "character set", "encoding"),
        "the source holds text that is not valid in its declared encoding; fix the data or convert it in a `query:`",
    ),
)


class ExtractError(RuntimeError):
    """An extraction failed; the message names the YAML entry and what to fix, never a secret."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Described:
    """A source's exact Arrow schema, and its columns with their rules of the type contract."""

    schema: pa.Schema
    as_text: tuple[str, ...] = ()  # travel as text to stay exact
    columns: tuple[Column, ...] = ()
    expressions: dict[str, str] = field(default_factory=dict)  # column -> how the SELECT reads it

    @classmethod
    def of(cls, columns: Sequence[Column]) -> Described:
        """The description of `columns`; the first whose type the contract refuses raises."""
        refused = refused_column(columns)
        if refused is not None:
            raise refused
        expressions = {}
        for c in columns:
            if c.as_text and c.rule.text_sql:
                expressions[c.name] = c.rule.text_sql
            elif c.cast and not c.as_text:  # a PostgreSQL domain, read as its base type
                expressions[c.name] = f"cast({{c}} as {c.cast})"
        as_text = tuple(c.name for c in columns if c.as_text)
        return cls(schema_of(columns), as_text, tuple(columns), expressions)

    def project(self, names: Sequence[str]) -> Described:
        """The description of the columns `names` only, in the source's order (a read of a few
        columns, such as the days that changed rows fall on)."""
        keep = [n for n in self.schema.names if n in set(names)]
        return Described(
            pa.schema([self.schema.field(n) for n in keep]),
            tuple(n for n in self.as_text if n in keep),
            tuple(c for c in self.columns if c.name in keep),
            {n: e for n, e in self.expressions.items() if n in keep},
        )


@dataclass(frozen=True)
class ReadRequest:
    source: Source
    described: Described
    window: Window | None = None
    primary_key: Sequence[str] = field(default_factory=tuple)


def is_transient(error: BaseException) -> bool:
    """Connection lost, timeout, deadlock, server restarting: worth another attempt."""
    if isinstance(error, ExtractError):
        return error.transient
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate:
        return sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith("08")
    args = getattr(error, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in TRANSIENT_MYSQL_CODES
    if type(error).__name__ in ("OperationalError", "InterfaceError"):
        return True  # psycopg: the connection failed or went away without a SQLSTATE
    return any(word in str(error).lower() for word in TRANSIENT_WORDS)


def prefetch(*streams: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The items of every stream, each read ahead by its own thread (at most `depth` items
    waiting per stream), so that reading overlaps with writing Parquet and several streams
    are read at once. The first error of a reader is raised here and stops the others."""
    slots: queue.Queue = queue.Queue(maxsize=depth * len(streams))
    stop = threading.Event()
    done = object()

    def read(items: Iterator[T]) -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((done, None))
        except BaseException as error:  # handed to the consumer, raised there
            slots.put((done, error))

    readers = [
        threading.Thread(target=read, args=(items,), name=f"extract-stream-{i}", daemon=True)
        for i, items in enumerate(streams)
    ]
    for reader in readers:
        reader.start()
    try:
        running = len(readers)
        while running:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is done:
                running -= 1
                continue
            yield item
    finally:
        stop.set()
        deadline = time.monotonic() + 5
        while any(reader.is_alive() for reader in readers) and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):  # unblock a reader waiting on a full queue
                slots.get(timeout=0.1)


def withhold_values(text: str) -> str:
    """A Rust panic's message without the value it quotes (`Bytes("...")`, between backticks)."""
    return re.sub(r"`[^`]*`|\b(?:Bytes|Date|Time|Int|UInt|Float|Double)\([^)]*\)", "…", text)


def source_name(source: Source) -> str:
    return f"table {source.table!r}" if source.query is None else "the entry's query"


def hint(message: str) -> str:
    lowered = message.lower()
    for words, fix in HINTS:
        if any(word in lowered for word in words):
            return fix
    return "see the source's message above"


def with_retries(
    action: Callable[[], T],
    attempts: int = 4,
    first_delay: float = 1.0,
    on_retry: Callable[[int, BaseException, float], None] = lambda *_: None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`action()`, retried on transient errors with exponential backoff and jitter."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Exception as error:
            if attempt == attempts or not is_transient(error):
                raise
            delay = first_delay * 2 ** (attempt - 1) * (1 + random.random() / 4)
            on_retry(attempt, error, delay)
            sleep(delay)
    raise AssertionError("unreachable")


class Extractor(ABC):
    """Reads sources of one connection. Subclasses: one per engine family."""

    def __init__(self, connection: ConnectionSpec, credentials: Credentials | None, where: str):
        self.connection = connection
        self.credentials = credentials
        self.where = where
        self.dialect = DIALECTS[connection.type]

    @abstractmethod
    def describe(self, source: Source) -> Described:
        """The exact Arrow schema of `source` (reading no rows)."""

    @abstractmethod
    def batches(self, request: ReadRequest) -> Iterator[pa.RecordBatch]:
        """The rows of the request, as record batches of exactly `request.described.schema`."""

    @abstractmethod
    def scalar(self, sql: str) -> object:
        """The single value a query returns."""

    def null_cursor_rows(self, source: Source, column: str) -> int:
        return int(self.scalar(null_cursor_sql(self.dialect, source, column)))

    @contextlib.contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Turn a driver's error into an ExtractError naming the entry, with no secret."""
        try:
            yield
        except ExtractError:
            raise
        except Refusal as refusal:
            raise self.refusal(refusal) from None
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as error:  # connectorx reports a lost connection as a Rust panic
            failure = self._explain(action, error)
        else:
            return
        # not chained: the driver's exception may hold a URL with the password
        raise failure from None

    def refusal(self, refusal: Refusal) -> ExtractError:
        return ExtractError(refusal.message(self.where, self.dialect.quote))

    def _explain(self, action: str, error: Exception) -> ExtractError:
        text = " ".join(str(error).split()) or type(error).__name__
        if type(error).__name__ == "PanicException":  # a Rust panic quotes the value it choked on
            text = withhold_values(text)
        if self.credentials is not None:
            text = self.credentials.redact(text)
        transient = is_transient(error)
        fix = "it will be retried" if transient else hint(text)
        return ExtractError(f"{self.where}: {action} failed: {text} ({fix}).", transient=transient)
