"""Import every model so that Alembic and ``db.create_all`` see the whole schema."""

from app.accounts.models import ApiToken, Company, Organisation, User
from app.accounts.security import AuditEntry, LoginFailure, LoginLock
from app.booths.models import Booking, BoothCategory, BoothSetup
from app.calendar.models import Event, EventAudience, EventChange, Venue
from app.clashes.models import BlackoutCalendar, BlackoutPeriod, Clash, ClashAction
from app.feeds.models import FeedFetchClient, FeedFetchDay, FeedLogCursor, FeedStatsSalt
from app.ops.models import JobRun, SchedulerHeartbeat
from app.outbox.models import OutboxMessage
from app.reference.models import District, Industry, Municipality, Occupation

__all__ = [
    "ApiToken",
    "BlackoutCalendar",
    "BlackoutPeriod",
    "Clash",
    "ClashAction",
    "AuditEntry",
    "BoothCategory",
    "BoothSetup",
    "Booking",
    "Company",
    "District",
    "Event",
    "EventAudience",
    "EventChange",
    "FeedFetchClient",
    "FeedFetchDay",
    "FeedLogCursor",
    "FeedStatsSalt",
    "Industry",
    "JobRun",
    "LoginFailure",
    "LoginLock",
    "Municipality",
    "Occupation",
    "Organisation",
    "OutboxMessage",
    "SchedulerHeartbeat",
    "User",
    "Venue",
]
