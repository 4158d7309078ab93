"""Reading JSONL and CSV record files line by line, with typed accessors that fail precisely.

Every error raised here names the file, the 1-based line number and the field, e.g.
``rollouts.jsonl:7: field 'progress': 140 is outside [0, 100] ...``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from badbench.errors import DataError, SchemaError, ValidationError

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv",)

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_MISSING = object()


@dataclass(frozen=True)
class Row:
    """One record of a JSONL or CSV file, with where it came from.

    Attributes:
        path: the file the record was read from.
        line: its 1-based line number (for CSV, the line the row ends on).
        data: field name -> value. CSV values are strings; empty CSV cells are dropped.
    """

    path: Path
    line: int
    data: dict[str, Any]

    def error(
        self, message: str, field: str | None = None, cls: type[DataError] = ValidationError
    ) -> DataError:
        """An error of class ``cls`` located at this row (and ``field``)."""
        return cls(message, path=self.path, line=self.line, field=field)

    def has(self, *names: str) -> bool:
        """Whether any of ``names`` is present (and not null)."""
        return any(self.data.get(n) is not None for n in names)

    def raw(self, *names: str, default: Any = _MISSING) -> tuple[str, Any, bool]:
        """The first present field among ``names`` (aliases) as ``(name, value, found)``.

        Raises:
            SchemaError: none is present and no default was given.
        """
        for n in names:
            if self.data.get(n) is not None:
                return n, self.data[n], True
        if default is _MISSING:
            raise self.error("is required but missing", names[0], SchemaError)
        return names[0], default, False

    def text(self, *names: str, default: Any = _MISSING) -> Any:
        """A string field (numbers are converted to their text)."""
        name, value, found = self.raw(*names, default=default)
        if not found:
            return value
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(f"expected a string, got {_show(value)}", name, SchemaError)
        return str(value)

    def number(self, *names: str, default: Any = _MISSING) -> Any:
        """A number field (CSV text is parsed)."""
        name, value, found = self.raw(*names, default=default)
        if not found:
            return value
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise self.error(f"expected a number, got {value!r}", name, SchemaError) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"expected a number, got {_show(value)}", name, SchemaError)
        return float(value)

    def integer(self, *names: str, default: Any = _MISSING) -> Any:
        """An integer field (CSV text is parsed; ``3.0`` is accepted, ``3.5`` is not)."""
        name, _, found = self.raw(*names, default=default)
        value = self.number(*names, default=default)
        if not found:
            return value
        if value != int(value):
            raise self.error(f"expected an integer, got {value}", name, SchemaError)
        return int(value)

    def flag(self, *names: str, default: Any = _MISSING) -> Any:
        """A boolean field: JSON true/false, or text true/false/1/0/yes/no."""
        name, value, found = self.raw(*names, default=default)
        if not found or isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self.error(f"expected true or false, got {_show(value)}", name, SchemaError)

    def check_fields(self, known: Iterable[str]) -> None:
        """Raise on the first field not in ``known`` (catches typos such as ``sucess``)."""
        known = set(known)
        for name in self.data:
            if name not in known:
                raise self.error(
                    f"unknown field; known fields: {', '.join(sorted(known))} "
                    "(pass allow_extra / --allow-extra to ignore unknown fields)",
                    name,
                    SchemaError,
                )


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_jsonl(path: str | Path) -> list[Row]:
    """Read a JSONL file: one JSON object per line; blank lines are skipped.

    Raises:
        DataError: the file is missing.
        SchemaError: a line is not valid JSON, or not a JSON object.
    """
    path = Path(path)
    text = _read_text(path)
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise SchemaError(
                f"malformed JSON ({e.msg} at column {e.colno}); each line must be one JSON object",
                path=path,
                line=number,
            ) from None
        if not isinstance(data, dict):
            raise SchemaError(
                f"expected a JSON object, got {type(data).__name__}", path=path, line=number
            )
        rows.append(Row(path, number, data))
    return rows


def read_csv(path: str | Path) -> list[Row]:
    """Read a CSV file with a header row; empty cells count as missing fields.

    Raises:
        DataError: the file is missing.
        SchemaError: the header is missing, or a row has more cells than the header.
    """
    path = Path(path)
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines(keepends=True))
    if not reader.fieldnames:
        raise SchemaError("empty CSV file; the first line must be a header", path=path, line=1)
    rows = []
    for record in reader:
        number = reader.line_num
        if None in record:
            raise SchemaError(
                f"row has more cells than the header ({len(reader.fieldnames)} columns)",
                path=path,
                line=number,
            )
        data = {k.strip(): v for k, v in record.items() if v is not None and v.strip() != ""}
        if data:
            rows.append(Row(path, number, data))
    return rows


def read_records(path: str | Path, format: str | None = None) -> list[Row]:
    """Read a JSONL or CSV file, choosing by ``format`` ("jsonl" | "csv") or the file suffix.

    Raises:
        DataError: the format cannot be told from the suffix and was not given.
    """
    path = Path(path)
    fmt = (format or "").lower() or _format_from_suffix(path)
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "csv":
        return read_csv(path)
    raise DataError(f"unknown record format '{fmt}'; use 'jsonl' or 'csv'", path=path)


def _format_from_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise DataError(
        f"cannot tell the format from the suffix '{suffix}'; name the file .jsonl or .csv "
        "or pass the format explicitly",
        path=path,
    )


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise DataError("file not found", path=path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise SchemaError(f"not UTF-8 text ({e.reason} at byte {e.start})", path=path) from None
