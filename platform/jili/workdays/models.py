"""The working-day calendar's table: the days that differ from the weekly pattern.

Monday to Friday are working days and Saturday and Sunday are not, unless a row
here says otherwise: a holiday on a weekday (``working`` false) or a make-up
working day (调休) on a weekend (``working`` true).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jili.extensions import db
from jili.tenancy import TenantScoped


class CalendarDay(TenantScoped, db.Model):
    """One day of the tenant's calendar that is not as the week would have it."""

    __tablename__ = "work_calendar_day"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "day"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean, default=False)
    # a built-in holiday's code (see services.HOLIDAY_LABELS), "" for the tenant's own
    holiday: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(String(80), default="")
