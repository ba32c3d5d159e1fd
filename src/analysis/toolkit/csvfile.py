"""CSV records with the line a reader looks for: one reader for every data file the package reads.

Python's ``csv`` module rather than ``pandas.read_csv``: a quoted field may span lines and blank
lines are skipped, so a row's number is not its line in the file; error messages name lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

__all__ = ["CSVFormatError", "csv_records"]


class CSVFormatError(ValueError):
    """The text is not well-formed CSV.

    Parameters
    ----------
    line : int
        The line where the reader stopped.
    detail : str
        The ``csv`` module's message.
    """

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(f"line {line}: {detail}")
        self.line, self.detail = line, detail


def csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """The records of CSV ``text``, each with the line it starts on.

    Parameters
    ----------
    text : str
        The decoded file.

    Yields
    ------
    tuple of (int, list of str)
        The 1-based line a record starts on, and its fields (unstripped; an empty line gives ``[]``).

    Raises
    ------
    CSVFormatError
        If the text is not well-formed CSV (the line where the reader stopped).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CSVFormatError(reader.line_num, str(exc)) from None
        yield start, row
