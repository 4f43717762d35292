from app.extensions import db
from app.reference.loader import load_reference_data
from app.reference.models import District, Industry, Municipality, Occupation


def test_reference_data_is_complete(app):
    assert db.session.scalar(db.select(db.func.count()).select_from(Municipality)) == 59
    counts = {
        code: db.session.scalar(
            db.select(db.func.count()).where(Municipality.district_code == code)
        )
        for code in ("HSK", "MK", "OE", "SI", "SO")
    }
    assert counts == {"HSK": 12, "MK": 15, "OE": 7, "SI": 11, "SO": 14}
    codes = set(db.session.execute(db.select(Industry.code)).scalars())
    assert codes == {"AUTO", "METALL", "GEBTECH", "WERKSTOFF", "GESUNDHEIT", "HOLZ", "CROSS"}
    assert db.session.scalar(db.select(db.func.count()).select_from(Occupation)) == 59


def test_neighbours_are_symmetric_and_real(app):
    neighbours = {
        district.code: {n.code for n in district.neighbours}
        for district in db.session.execute(db.select(District)).scalars()
    }
    assert neighbours["SI"] == {"OE", "HSK"}
    assert "MK" not in neighbours["SI"] and "SO" not in neighbours["OE"]
    for code, others in neighbours.items():
        for other in others:
            assert code in neighbours[other]


def test_loading_twice_changes_nothing(app):
    before = db.session.scalar(db.select(db.func.count()).select_from(Municipality))
    load_reference_data()
    db.session.commit()
    after = db.session.scalar(db.select(db.func.count()).select_from(Municipality))
    assert before == after == 59
    siegen = db.session.execute(
        db.select(Municipality).where(Municipality.name == "Siegen")
    ).scalar_one()
    assert siegen.ags == "05970040" and siegen.district_code == "SI"
