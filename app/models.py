"""Import every model so that Alembic and ``db.create_all`` see the whole schema."""

from app.accounts.models import (
    ApiToken,
    Company,
    CompanyRequest,
    Invitation,
    LinkToken,
    Organisation,
    User,
)
from app.accounts.security import AuditEntry, LoginFailure, LoginLock
from app.booths.models import Booking, BoothCategory, BoothSetup
from app.calendar.models import Event, EventAudience, EventChange, Venue
from app.clashes.models import BlackoutCalendar, BlackoutPeriod, Clash, ClashAction
from app.feeds.models import FeedFetchClient, FeedFetchDay, FeedLogCursor, FeedStatsSalt
from app.notices.models import NoticeProgress, NoticeSubscription
from app.ops.models import JobRun, SchedulerHeartbeat
from app.outbox.models import OutboxMessage
from app.public.models import LegalPage
from app.reference.models import District, Industry, Municipality, Occupation
from app.visits.models import ClassVisit, VisitLink, VisitRegistration, VisitSetup, VisitSlot

__all__ = [
    "ApiToken",
    "BlackoutCalendar",
    "BlackoutPeriod",
    "Clash",
    "ClashAction",
    "ClassVisit",
    "AuditEntry",
    "BoothCategory",
    "BoothSetup",
    "Booking",
    "Company",
    "CompanyRequest",
    "District",
    "Event",
    "EventAudience",
    "EventChange",
    "FeedFetchClient",
    "FeedFetchDay",
    "FeedLogCursor",
    "FeedStatsSalt",
    "Industry",
    "Invitation",
    "JobRun",
    "LegalPage",
    "LinkToken",
    "LoginFailure",
    "LoginLock",
    "Municipality",
    "NoticeProgress",
    "NoticeSubscription",
    "Occupation",
    "Organisation",
    "OutboxMessage",
    "SchedulerHeartbeat",
    "User",
    "Venue",
    "VisitLink",
    "VisitRegistration",
    "VisitSetup",
    "VisitSlot",
]
