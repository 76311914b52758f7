"""The period's inputs: sales transactions with their credits, targets, KPI
metric values, profit and one-off awards. Imports are all rows or none, with
a row/column/reason for every problem (see :mod:`.services.common`)."""
