"""Reference data, loaded from the CSV files that ship in ``app/reference/data``."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

district_neighbours = Table(
    "district_neighbours",
    db.metadata,
    Column("district_code", ForeignKey("districts.code"), primary_key=True),
    Column("neighbour_code", ForeignKey("districts.code"), primary_key=True),
)


class District(db.Model):
    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kreis_key: Mapped[str] = mapped_column(String(5))
    seat: Mapped[str] = mapped_column(String(80))

    neighbours: Mapped[list[District]] = relationship(
        secondary=district_neighbours,
        primaryjoin=code == district_neighbours.c.district_code,
        secondaryjoin=code == district_neighbours.c.neighbour_code,
        order_by="District.code",
    )
    municipalities: Mapped[list[Municipality]] = relationship(
        back_populates="district", order_by="Municipality.name"
    )

    def __repr__(self) -> str:
        return f"<District {self.code}>"


class Municipality(db.Model):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    official_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    ags: Mapped[str] = mapped_column(String(8), unique=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
    postal_code: Mapped[str] = mapped_column(String(5))

    district: Mapped[District] = relationship(back_populates="municipalities")

    def __repr__(self) -> str:
        return f"<Municipality {self.name}>"


class Industry(db.Model):
    __tablename__ = "industries"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name_de: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))

    @property
    def label(self) -> str:
        """The name in the language of the current request, capitalised for a label
        (the data writes "branchenübergreifend" in lower case)."""
        name = self.name_en if str(get_locale() or "de") == "en" else self.name_de
        return name[:1].upper() + name[1:]

    def __repr__(self) -> str:
        return f"<Industry {self.code}>"


class Occupation(db.Model):
    __tablename__ = "occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    industry_code: Mapped[str] = mapped_column(ForeignKey("industries.code"))

    industry: Mapped[Industry] = relationship()

    def __repr__(self) -> str:
        return f"<Occupation {self.name}>"
