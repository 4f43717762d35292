import os

from app.demo import DEMO_PASSWORD
from tests.e2e.test_accessibility import ARTIFACTS, seed_site, user_of

PAGES = os.environ.get("SHOT_PAGES", "/").split(",")
ROLE = os.environ.get("SHOT_ROLE", "anonymous")

def test_shots(app, live_server, page, log_in):
    seed_site()
    user = user_of(ROLE)
    if user:
        log_in(user.email, DEMO_PASSWORD)
    for path in PAGES:
        for w, h in ((1280, 800), (390, 844)):
            page.set_viewport_size({"width": w, "height": h})
            page.goto(path)
            name = f"shot-{ROLE}-{path.strip('/').replace('/', '_').replace('?','_') or 'home'}-{w}.png"
            page.screenshot(path=str(ARTIFACTS / name), full_page=os.environ.get("SHOT_FULL") == "1")
