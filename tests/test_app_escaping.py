"""Issue 15: user text never acts as Markdown in the app. The public Find support page once
showed a provider's service name as a live link and a remote image."""

import pytest
from streamlit.testing.v1 import AppTest

from planner.app.components import md
from planner.registry.auth import SYSTEM
from planner.settings import REPO_ROOT

APP = str(REPO_ROOT / "planner" / "app" / "app.py")
PHISH = "[Call us now](http://evil.example/phish) ![](http://evil.example/pixel.png)"
ACTIVE = set("\\`*_{}[]()#+-.!|<>~:$=")


@pytest.mark.parametrize(
    "text",
    [
        PHISH,
        ":red[Urgent] call $x$ now",
        "<img src=x onerror=alert(1)>",
        "# Heading\n- list\n> quote",
        "**bold** _it_ `code` ~~gone~~ | table |",
        "back\\slash [a]: http://evil.example",
    ],
)
def test_every_active_character_is_escaped(text):
    escaped = md(text)
    i = 0
    while i < len(escaped):
        if escaped[i] == "\\":
            assert escaped[i + 1] in ACTIVE, (escaped, i)
            i += 2
            continue
        assert escaped[i] not in ACTIVE, (escaped, i)
        i += 1
    assert escaped.replace("\\", "") == text.replace("\\", "")


def test_find_support_shows_a_hostile_name_as_text(tmp_path, validation_ctx, monkeypatch):
    from planner.registry.service import Registry

    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    registry = Registry.open(validation_ctx, url)
    registry.save_organisation(SYSTEM, {"id": "evil", "name": "Trust <b>bold</b> :red[x]"})
    registry.create_service(
        SYSTEM,
        {
            "id": "phish",
            "organisation_id": "evil",
            "name": PHISH,
            "service_type": "hate_crime_advocacy",
            "referral_route": "self_referral",
            "without_police_report": "yes",
            "needs": ["hate_crime"],
            "stages": ["immediate"],
            "areas": ["Havering"],
            "capacity_per_year": 10,
            "hours": "Mon-Fri ![](http://evil.example/2.png)",
        },
    )
    registry.engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/find_support.py").run()
    at.selectbox(key="find_area").select("Havering").run()
    at.selectbox(key="find_need").select("Hate crime").run()
    assert not at.exception, [e.value for e in at.exception]
    sources = [m.value for m in at.markdown]
    card = next(s for s in sources if "Call us now" in s)
    assert card.startswith("**\\[Call us now\\]\\(http\\://evil\\.example/phish\\)")
    assert "](http" not in card and "![" not in card
    assert "Trust \\<b\\>bold\\</b\\> \\:red\\[x\\]" in card
    hours = next(s for s in sources if s.startswith("When:"))
    assert "![" not in hours and "\\!\\[\\]" in hours


@pytest.mark.parametrize(
    "url",
    [
        "mysqlish+nodriver://admin:s3cr3t-pw@db.example/registry",
        "postgresql://admin:s3cr3t-pw@127.0.0.1:9/registry",  # nothing listens on port 9
    ],
)
def test_a_database_password_is_never_shown_to_a_visitor(tmp_path, monkeypatch, url):
    """Issue 15: the app once showed the DATABASE_URL, password and all, to anyone who opened
    a public page while the database could not be used."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/find_support.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(e.value) for e in [*at.error, *at.warning, *at.markdown, *at.caption])
    assert "s3cr3t-pw" not in shown
    assert at.error, "the visitor is told the registry cannot be used"
