"""Person records from a CSV file, checked; pairs and truth files; precision, recall and F1.

Pure Python (no Django). :func:`read_people` reads any CSV of person records with (some of) the
columns of :data:`COLUMNS`, renamed with ``--map SRC=DST`` pairs, and refuses bad input with a
:class:`BatchInputError` whose code names the trouble (an empty file, a wrong delimiter, unknown or
repeated columns, no ``id`` column, a repeated id, an impossible date, a row of the wrong length, a
file that is not UTF-8). Names in any script are accepted (the normaliser transliterates them).

Document numbers are replaced at once by a keyed hash (under a key drawn for this run and never written
down; :data:`_KEYED`): equal numbers still compare equal, and no number stays in memory or reaches
Splink's tables in clear.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cityid.core.errors import CityidError
from cityid.matching.records import PersonRecord, normal_document_number
from cityid.matching.splink_model import connect

COLUMNS = ("id", "given_name", "family_name", "date_of_birth", "address_line1", "city", "postcode",
           "document_number")  # fmt: skip
PAIR_COLUMNS = ("id_l", "id_r", "probability")
_OTHER_DELIMITERS = (";", "\t", "|")


class BatchInputError(CityidError):
    """A batch input file (people, truth, pairs, ``--map``) that cannot be read as it is."""


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """``["surname=family_name", ...]`` -> ``{"surname": "family_name"}``, checked."""
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.partition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source or not target:
            raise BatchInputError("bad_map", item=item)
        if target not in COLUMNS:
            raise BatchInputError("map_target", item=item, columns=", ".join(COLUMNS))
        mapping[source] = target
    return mapping


def _parse_date(text: str, line: int, column: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    digits = text.replace("-", "").replace("/", "")
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return date.fromisoformat(text)
        if len(digits) == 8 and digits.isdigit() and len(text) == 8:  # YYYYMMDD (FEBRL)
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        pass
    raise BatchInputError("bad_date", line=line, column=column)


@dataclass
class People:
    """What :func:`read_people` read: the records as a ``pyarrow`` table of
    :data:`cityid.matching.splink_model.RAW_COLUMNS`, and how many have names in a non-Latin script."""

    table: Any
    non_latin: int
    columns: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def release_table(self) -> Any:
        """The table, no longer held here: passed straight on, a million raw rows need not outlive their normal
        form."""
        table, self.table = self.table, None
        return table

    @property
    def records(self) -> list[PersonRecord]:
        """The rows as :class:`PersonRecord` (for small files: a million are better left in the table)."""
        out = []
        for row in self.table.to_pylist():
            dob = row["dob"]
            out.append(PersonRecord(
                id=row["id"], given_name=row["given_name"] or "", family_name=row["family_name"] or "",
                date_of_birth=date(int(dob[:4]), int(dob[4:6]), int(dob[6:8])) if dob else None,
                address_line1=row["address_line1"] or "", city=row["city"] or "", postcode=row["postcode"] or "",
                document_hashes=tuple(row["docs"] or ()),
                document_variants=tuple(str(v) for v in row["doc_variants"] or ()),
            ))
        return out


def _open_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BatchInputError("unreadable", path=str(path), reason=exc.strerror or "error") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchInputError("encoding", path=str(path)) from None


def _header(text: str, path: Path) -> list[str]:
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise BatchInputError("empty", path=str(path))
    header = next(csv.reader([first]))
    if len(header) == 1:
        for delimiter in _OTHER_DELIMITERS:
            if delimiter in first:
                raise BatchInputError("delimiter", path=str(path), delimiter=repr(delimiter))
    return [name.strip() for name in header]


def _first_line(path: Path) -> str:
    """The first line of the file at ``path`` (the header), without reading the rest: a million-row file is
    read by DuckDB, never held in memory as text."""
    try:
        with open(path, "rb") as handle:
            data = handle.readline(1 << 20)
    except OSError as exc:
        raise BatchInputError("unreadable", path=str(path), reason=exc.strerror or "error") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchInputError("encoding", path=str(path)) from None


def _columns(header: list[str], mapping: Mapping[str, str]) -> list[str]:
    unknown_sources = sorted(set(mapping) - set(header))
    if unknown_sources:
        raise BatchInputError("map_source", names=", ".join(unknown_sources))
    names = [mapping.get(name, name) for name in header]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise BatchInputError("unknown_columns", names=", ".join(unknown), columns=", ".join(COLUMNS))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BatchInputError("repeated_columns", names=", ".join(repeated))
    if "id" not in names:
        raise BatchInputError("no_id")
    return names


def _check_rows(text: str, names: list[str]) -> None:
    """Find the first bad row the slow way (after the fast reader refused the file): raises its error."""
    reader = csv.reader(io.StringIO(text))
    next(reader)
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise BatchInputError("row_length", line=line, got=len(row), expected=len(names))
        values = dict(zip(names, (cell.strip() for cell in row), strict=True))
        if not values["id"]:
            raise BatchInputError("no_id_value", line=line)
        if values["id"] in seen:
            raise BatchInputError("repeated_id", line=line)
        seen.add(values["id"])
        _parse_date(values.get("date_of_birth", ""), line, "date_of_birth")


_DATE_SQL = """CASE
    WHEN regexp_full_match(d, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN strftime(try_strptime(d, '%Y-%m-%d'), '%Y%m%d')
    WHEN regexp_full_match(d, '[0-9]{8}') THEN strftime(try_strptime(d, '%Y%m%d'), '%Y%m%d') END"""


def read_people(path: Path, mapping: Mapping[str, str] | None = None, *, key: bytes | None = None) -> People:
    """The person records of the CSV file at ``path`` (columns renamed by ``mapping``), checked; document
    numbers replaced by their keyed hash under ``key`` (a fresh random key by default)."""
    import duckdb
    import pyarrow as pa

    names = _columns(_header(_first_line(path), path), dict(mapping or {}))
    key = key or secrets.token_bytes(32)
    con = connect()
    types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
    column = {name: f"nullif(trim(c{i}), '')" for i, name in enumerate(names)}

    def value(name: str) -> str:
        return column.get(name, "NULL::VARCHAR")

    try:  # one pass: no staging copy of the file, no UPDATE (which would keep every row's old version)
        con.execute(f"""CREATE TABLE people AS SELECT *, {_DATE_SQL} AS dob FROM (
            SELECT row_number() OVER () + 1 AS line, {value('id')} AS id, {value('given_name')} AS given_name,
                {value('family_name')} AS family_name, {value('date_of_birth')} AS d,
                {value('address_line1')} AS address_line1, {value('city')} AS city, {value('postcode')} AS postcode,
                {value('document_number')} AS document_number
            FROM read_csv(?, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                          strict_mode = true, columns = {{{types}}}))
            WHERE NOT (id IS NULL AND given_name IS NULL AND family_name IS NULL AND d IS NULL
                       AND address_line1 IS NULL AND city IS NULL AND postcode IS NULL AND document_number IS NULL)
            """, [str(path)]).fetchall()
    except duckdb.Error:
        con.close()
        text = _open_text(path)  # the slow way, only to name the first bad line
        _check_rows(text, names)
        raise BatchInputError("unreadable", path=str(path), reason="not a CSV file") from None
    problems = con.execute("""SELECT
        (SELECT min(line) FROM people WHERE id IS NULL),
        (SELECT min(line) FROM (SELECT line, count(*) OVER (PARTITION BY id ORDER BY line) AS n FROM people
                                WHERE id IS NOT NULL) WHERE n > 1),
        (SELECT min(line) FROM people WHERE d IS NOT NULL AND dob IS NULL),
        (SELECT count(*) FROM people)""").fetchall()[0]
    no_id, repeated, bad_date, count = problems
    if no_id is not None:
        raise BatchInputError("no_id_value", line=no_id)
    if repeated is not None:
        raise BatchInputError("repeated_id", line=repeated)
    if bad_date is not None:
        raise BatchInputError("bad_date", line=bad_date, column="date_of_birth")
    if not count:
        raise BatchInputError("no_rows", path=str(path))
    non_latin = con.execute(
        "SELECT count(*) FROM people WHERE regexp_matches(coalesce(given_name, '') || coalesce(family_name, ''), "
        "'[^\\x{0000}-\\x{024F}]')"
    ).fetchall()[0]
    _register_odd_documents(con)
    # streamed in file order (no sort, no join but the few odd numbers): a million rows are never held twice
    reader = con.sql(_PEOPLE_SQL, params={"key": key[:16].hex()}).to_arrow_reader(100_000)
    table = pa.Table.from_batches(reader)
    con.close()
    return People(table=table, non_latin=int(non_latin[0]) if non_latin else 0, columns=tuple(names))


#: The keyed hash of a string ``v`` under the run's key ``$key`` (a 128-bit key as 32 hex digits, so that key and
#: number fit one SHA-256 block): the first 128 bits of SHA-256(key || v). DuckDB has no HMAC; a secret-prefix
#: SHA-256 cut short is a pseudorandom function all the same (cut, it cannot be extended), and computed in the
#: database a million numbers need no Python loop.
_KEYED = "left(sha256($key || {}), 32)"
#: A 60-bit keyed hash of a document number's variant (the first 15 hex digits of its keyed hash).
_KEYED_SHORT = "('0x' || left(sha256($key || {}), 15))::BIGINT"


def _register_odd_documents(con: Any) -> None:
    """The table ``odd_documents`` (``raw``, ``normal``): document numbers that are not printable ASCII,
    normalised in Python (few; SQL normalises the others)."""
    import pyarrow as pa

    odd = [row[0] for row in con.execute(
        "SELECT DISTINCT document_number FROM people WHERE document_number IS NOT NULL "
        "AND NOT regexp_full_match(document_number, '[ -~]*')").fetchall()]
    con.register("odd_documents", pa.table({"raw": pa.array(odd, pa.string()), "normal": pa.array(
        [normal_document_number(number) for number in odd], pa.string())}))


#: The people in file order, each document number (normalised as
#: :func:`~cityid.matching.records.normal_document_number` does) replaced by its keyed hash, the 60-bit keyed hashes
#: of its :func:`~cityid.matching.records.document_variants`, and its bigram signature (62 bits, one set for each
#: two-character piece, chosen by DuckDB's fast hash under the key: six bits of a hash per piece need no SHA-256; two
#: numbers sharing a variant differ in at most four bits of each other's, see :mod:`cityid.matching.splink_model`),
#: all null for a number with no letter or digit.
_PEOPLE_SQL = f"""
    WITH numbered AS (
        SELECT p.*, nullif(coalesce(o.normal, upper(regexp_replace(p.document_number, '[^0-9A-Za-z]', '', 'g'))),
                           '') AS n
        FROM people p LEFT JOIN odd_documents o ON o.raw = p.document_number)
    SELECT id, given_name, family_name, dob, address_line1, postcode,
        CASE WHEN n IS NOT NULL THEN [{_KEYED.format('n')}] END AS docs,
        CASE WHEN n IS NOT NULL THEN list_distinct(list_transform(
            list_prepend(n, list_transform(range(1, length(n) + 1), lambda i: left(n, i - 1) || substr(n, i + 1))),
            lambda v: {_KEYED_SHORT.format('v')})) END AS doc_variants,
        list_reduce(list_transform(range(1, length(n)),
                                   lambda i: 1::BIGINT << (hash($key || '#' || substr(n, i, 2)) % 62)::INTEGER),
                    lambda a, b: a | b, 0::BIGINT) AS doc_grams,
        city
    FROM numbered"""


def write_pairs(path: Path, pairs: Iterable[tuple[str, str, float]]) -> int:
    """Write ``id_l,id_r,probability`` rows; returns how many. The file appears whole or not at all: rows go to
    ``PATH.partial`` first, which replaces ``path`` only once every pair is written (a run that fails or is
    stopped half-way leaves an earlier file at ``path`` as it was)."""
    count = 0
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(PAIR_COLUMNS)
            for a, b, p in pairs:
                writer.writerow((a, b, f"{p:.6f}"))
                count += 1
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def read_pairs(path: Path, threshold: float | None = None) -> set[tuple[str, str]]:
    """The pairs of a ``id_l,id_r[,probability]`` file (those at or above ``threshold`` if given)."""
    text = _open_text(path)
    header = _header(text, path)
    if "id_l" not in header or "id_r" not in header:
        raise BatchInputError("pair_columns", path=str(path))
    out = set()
    for row in csv.DictReader(io.StringIO(text)):
        if threshold is not None and row.get("probability"):
            try:
                if float(row["probability"]) < threshold:
                    continue
            except ValueError:
                raise BatchInputError("bad_probability", path=str(path)) from None
        out.add(_pair(row["id_l"], row["id_r"]))
    return out


def read_truth(path: Path) -> set[tuple[str, str]]:
    """The true pairs of a truth file: ``id_l,id_r`` pairs, or ``id`` with a ``person`` (or ``cluster``)
    column naming the person each record is of."""
    text = _open_text(path)
    header = _header(text, path)
    if "id_l" in header and "id_r" in header:
        return read_pairs(path)
    label = next((name for name in ("person", "cluster") if name in header), None)
    if "id" not in header or label is None:
        raise BatchInputError("truth_columns", path=str(path))
    groups: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        groups.setdefault(row[label], []).append(row["id"])
    pairs = set()
    for ids in groups.values():
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                pairs.add(_pair(a, b))
    return pairs


@dataclass(frozen=True)
class Accuracy:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        real = self.true_positives + self.false_negatives
        return self.true_positives / real if real else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "true_positives": self.true_positives, "false_positives": self.false_positives,
                "false_negatives": self.false_negatives}  # fmt: skip


def accuracy(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> Accuracy:
    """Precision, recall and F1 of ``predicted`` pairs against ``truth`` (pairs ordered ``a < b``)."""
    tp = len(predicted & truth)
    return Accuracy(true_positives=tp, false_positives=len(predicted) - tp, false_negatives=len(truth) - tp)
