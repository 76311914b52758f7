"""The period's inputs, one module per page group: transactions (deals, refunds)
with their credits, targets and KPI metric values, profit, one-off awards;
:mod:`._common` holds what they share (period choice, file import, CSV templates)."""
