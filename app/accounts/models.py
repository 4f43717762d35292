"""Organisations, member companies, users and their API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.reference.codes import ORGANISATION_KINDS, ROLES
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
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    company: Mapped[Company | None] = relationship(back_populates="users")
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", order_by="ApiToken.created_at"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_organiser(self) -> bool:
        return self.role == "organiser"

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
