"""Incentives: schemes enabled per company, plans and their versions, the
calculation engine and its runs, statements, the simulator and the payroll export.

The scheme API that plugins implement is :mod:`jili.schemes`, not this package.
"""
