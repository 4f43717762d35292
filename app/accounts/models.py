"""Organisations, member companies, users and their API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.reference.codes import ORGANISATION_KINDS, ORGANISATION_ROLES, ROLES
from app.reference.models import Industry, Municipality, Occupation
from app.time import now_utc
from app.types import UTCDateTime, one_of

company_industries = Table(
    "company_industries",
    db.metadata,
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("industry_code", ForeignKey("industries.code"), primary_key=True),
)

company_occupations = Table(
    "company_occupations",
    db.metadata,
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("occupation_id", ForeignKey("occupations.id"), primary_key=True),
)


class Organisation(db.Model):
    """An organiser of events: a chamber, an agency, a university, a network."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(one_of("kind", ORGANISATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class Company(db.Model):
    """A member company that exhibits at fairs and offers apprenticeships."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    website: Mapped[str | None] = mapped_column(String(500))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Grows with every saved change; a save on a stale copy is refused (app/versions.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    municipality: Mapped[Municipality | None] = relationship()
    industries: Mapped[list[Industry]] = relationship(
        secondary=company_industries, order_by="Industry.code"
    )
    occupations: Mapped[list[Occupation]] = relationship(
        secondary=company_occupations, order_by="Occupation.name"
    )
    users: Mapped[list[User]] = relationship(back_populates="company")

    def __repr__(self) -> str:
        return f"<Company {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint("language IN ('de', 'en')", name="language"),
        CheckConstraint(
            "(role = 'organiser' AND organisation_id IS NOT NULL AND company_id IS NULL)"
            " OR (role = 'company' AND company_id IS NOT NULL AND organisation_id IS NULL)"
            " OR (role = 'admin')",
            name="membership",
        ),
        CheckConstraint(one_of("organisation_role", ORGANISATION_ROLES),
                        name="organisation_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="de")
    # An organiser's role inside their organisation: "admin" looks after its members.
    organisation_role: Mapped[str] = mapped_column(String(10), default="member",
                                                   server_default="member")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the id that sessions and remember cookies carry (``get_id``): raising it ends
    # every session of the user at once (logout, password change or reset, deactivation,
    # "log out on all devices"), because a cookie with the old number no longer loads.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    company: Mapped[Company | None] = relationship(back_populates="users")
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", order_by="ApiToken.created_at"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative id: the user and their session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_organiser(self) -> bool:
        return self.role == "organiser"

    @property
    def is_organisation_admin(self) -> bool:
        return self.role == "organiser" and self.organisation_role == "admin"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(db.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="API")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def hash(token: str) -> str:
        """Tokens carry 256 random bits, so a fast hash is enough (no brute force possible)."""
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


LINK_PURPOSES = ("password_reset", "invitation", "email_change", "company_request")


class LinkToken(db.Model):
    """The secret of a link in a mail: set a password, accept an invitation, confirm an
    address. Single use, with an expiry.

    Decision: random (256 bits, ``secrets``) and stored as a SHA-256 hash, like API and
    feed tokens, not signed with ``itsdangerous``. Single use, "a newer link kills the
    older one" and "a password change kills open reset links" need a row per link anyway;
    with the row there, a signature would only add a second mechanism (and a key whose
    rotation kills every open link). A stolen database copy holds no usable link, and a
    link is revoked by one UPDATE.
    """

    __tablename__ = "link_tokens"
    __table_args__ = (CheckConstraint(one_of("purpose", LINK_PURPOSES), name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    company_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("company_requests.id", ondelete="CASCADE"), index=True)
    # The address an e-mail change or a company request is to confirm.
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    company_request: Mapped[CompanyRequest | None] = relationship()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Invitation(db.Model):
    """Someone asked to join as a user: the account is made when they set a password."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint(one_of("organisation_role", ORGANISATION_ROLES),
                        name="organisation_role"),
        CheckConstraint(
            "(role = 'organiser' AND organisation_id IS NOT NULL AND company_id IS NULL)"
            " OR (role = 'company' AND company_id IS NOT NULL AND organisation_id IS NULL)"
            " OR (role = 'admin' AND organisation_id IS NULL AND company_id IS NULL)",
            name="membership",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    organisation_role: Mapped[str] = mapped_column(String(10), default="member")
    language: Mapped[str] = mapped_column(String(2), default="de")
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation | None] = relationship()
    company: Mapped[Company | None] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None

    @property
    def joins(self) -> str:
        """What the invitation is into, for pages and mails."""
        if self.organisation is not None:
            return self.organisation.name
        if self.company is not None:
            return self.company.name
        return "Messekalender Südwestfalen"


REQUEST_STATUSES = ("unconfirmed", "pending", "approved", "rejected")


class CompanyRequest(db.Model):
    """A company asks for access (``/register/company``): it counts once its address is
    confirmed, and waits for an admin's approval or rejection."""

    __tablename__ = "company_requests"
    __table_args__ = (
        CheckConstraint(one_of("status", REQUEST_STATUSES), name="status"),
        CheckConstraint("language IN ('de', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    industries: Mapped[list] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(2), default="de")
    status: Mapped[str] = mapped_column(String(12), default="unconfirmed", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"))

    municipality: Mapped[Municipality | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
    company: Mapped[Company | None] = relationship()
