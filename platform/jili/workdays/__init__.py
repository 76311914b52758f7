"""The tenant's working-day calendar: weekends, holidays, make-up working days."""
