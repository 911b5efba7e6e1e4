"""CSV cells that are safe to open in a spreadsheet, and read back as they were written."""

import re
from decimal import Decimal

# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text rather than running as a formula (CSV injection)."""
    if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def plain_number(value: Decimal) -> str:
    """12.5 rather than 12.5000, 100 rather than 1E+2."""
    return f"{value.normalize():f}"


def unquote(text: str) -> str:
    """A cell without the quote an export puts before a formula-like start."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
