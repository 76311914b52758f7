"""The period's inputs: sales transactions with their credits, targets, KPI
metric values, profit and one-off awards. Imports are all rows or none, with
a row/column/reason for every problem (see :mod:`.common`)."""

from .common import Outcome, RowError
from .transactions import ImportOutcome, import_transaction_file, import_transaction_rows

__all__ = [
    "ImportOutcome",
    "Outcome",
    "RowError",
    "import_transaction_file",
    "import_transaction_rows",
]
