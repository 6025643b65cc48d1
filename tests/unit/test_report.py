"""The weekly HTML report: its tables, inline SVG charts, opt-outs, and a render in Chromium.

The browser test installs chromium with apt-get when it can, and says why it skips otherwise.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from prospect_tui.cli import main
from prospect_tui.core.campaigns import campaign_settings
from prospect_tui.core.consent import record_consent
from prospect_tui.core.report import build_report
from prospect_tui.core.store import Store
from tests.helpers import A_SUPERVISOR
from tests.unit.test_stats import MONDAY, add_call, paris, week_history

PARIS = ZoneInfo("Europe/Paris")  # the default home_timezone

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, css: str | None = None) -> list[dict]:
        return [
            attrs
            for name, attrs in self.tags
            if name == tag and (css is None or css in (attrs.get("class") or "").split())
        ]


def withdraw(store: Store, lead_id: int, at: datetime, granted_by: str) -> None:
    """An opt-in by `granted_by` a week earlier, withdrawn at `at` (the unsubscribe link)."""
    lead = store.lead(lead_id)
    settings = campaign_settings(store.campaign("acme"))
    common = {
        "lead": lead,
        "call_id": None,
        "email": f"dsi{lead_id}@example.fr",
        "email_typed": f"dsi{lead_id}@example.fr",
        "contact_name": f"Contact {lead_id}",
        "contact_title": "DSI",
        "phone_e164": lead["phone_e164"],
        "settings": settings,
    }
    with store.write() as conn:
        granted_at = (at - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        record_consent(conn, event="granted", caller=granted_by, at=granted_at, **common)
        withdrawn_at = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record_consent(conn, event="withdrawn", caller="", at=withdrawn_at, **common)


@pytest.fixture
def history(store: Store, clock) -> Store:
    clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    week_history(store)
    # The previous week: two more calls for the comparison.
    before = MONDAY - timedelta(days=7)
    add_call(store, 2, "bob", "opt_in", paris(before, "16:00"), 200)
    add_call(store, 4, "bob", "no_answer", paris(before, "16:10"), 20)
    withdraw(store, 3, paris(MONDAY + timedelta(days=3), "11:00"), "alice")
    withdraw(store, 9, paris(MONDAY - timedelta(days=3), "11:00"), "bob")  # last week's
    return store


def test_report_tables_and_charts(history: Store) -> None:
    html = build_report(history, MONDAY + timedelta(days=2), actor=A_SUPERVISOR, zone=PARIS)
    page = Elements(html)
    text = " ".join(page.text)
    assert "week of 16/11/2026 to 22/11/2026" in text
    assert len(page.find("svg")) == 5  # week, callers, funnel, outcomes, heat map
    assert all(svg["xmlns"] == "http://www.w3.org/2000/svg" for svg in page.find("svg"))
    # The week against the previous one: 10 calls against 3 (Bob's two, Alice's refusal).
    first_table = html[html.index("<table") : html.index("</table>")]
    assert "<td>Calls</td><td>10</td><td>3</td><td class='up'>+233 %</td>" in first_table
    # Per caller: one group of three bars (calls, IT manager, opt-ins) per caller.
    assert len(page.find("rect", "calls")) == 2 + 8  # two callers, eight outcomes seen
    assert len(page.find("rect", "opt_ins")) == 2
    # The heat map: Monday to Friday, 09h to 14h.
    assert len(page.find("rect", "cell")) == 5 * 6
    assert "Mon 09h: 2 IT managers reached in 5 calls" in text
    assert "Best slots: Mon 10h" in text


def test_report_lists_the_weeks_optouts_only(history: Store) -> None:
    html = build_report(history, MONDAY, actor=A_SUPERVISOR, zone=PARIS)
    assert "Opt-outs of the week (1)" in html
    assert "dsi3@example.fr" in html and "dsi9@example.fr" not in html
    section = html[html.index("Opt-outs of the week") :]
    assert "<td>alice</td>" in section and "<td>2026-11-19</td>" in section
    previous = build_report(history, MONDAY - timedelta(days=7), actor=A_SUPERVISOR, zone=PARIS)
    assert "dsi9@example.fr" in previous and "dsi3@example.fr" not in previous


def test_report_is_self_contained(history: Store) -> None:
    html = build_report(history, MONDAY, actor=A_SUPERVISOR, zone=PARIS)
    page = Elements(html)
    assert not page.find("script") and not page.find("link") and not page.find("img")
    assert "src=" not in html and "href=" not in html and "url(" not in html
    assert html.count("http") == html.count("http://www.w3.org/2000/svg")


def test_report_for_one_caller(history: Store) -> None:
    html = build_report(history, MONDAY, caller="bob", actor=A_SUPERVISOR, zone=PARIS)
    assert "caller: bob" in html
    assert "<td>alice</td>" not in html
    assert "No opt-out this week." in html  # Alice's opt-in was withdrawn


def test_cli_writes_last_weeks_report(history: Store, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PROSPECT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.chdir(tmp_path)
    # The clock says Monday 23rd: without a date, the report is on the 16th-22nd.
    assert main(["--db", str(history.path), "report", "--week"]) == 0
    written = tmp_path / "prospect-report-2026-W47.html"
    assert "2026-11-16 to 2026-11-22" in capsys.readouterr().err
    assert "week of 16/11/2026" in written.read_text(encoding="utf-8")
    assert oct(written.stat().st_mode & 0o777) == "0o600"
    out = tmp_path / "w46.html"
    assert main(["--db", str(history.path), "report", "--week", "2026-11-10", "-o", str(out)]) == 0
    assert "week of 09/11/2026" in out.read_text(encoding="utf-8")


def test_cli_report_follows_the_access_rule(history: Store, tmp_path: Path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text('supervisors = ["anne"]\n', encoding="utf-8")
    monkeypatch.setenv("PROSPECT_CONFIG", str(config))
    out = tmp_path / "r.html"
    args = ["--db", str(history.path), "--user", "bob", "report", "--week", "2026-11-16"]
    assert main([*args, "--caller", "alice", "-o", str(out)]) == 2
    assert "refused: only a supervisor" in capsys.readouterr().err and not out.exists()
    assert main([*args, "-o", str(out)]) == 0
    assert "caller: bob" in out.read_text(encoding="utf-8")


def find_chromium() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def install_chromium() -> str:
    """Install chromium with apt-get when we may; returns why not, or '' when installed."""
    if shutil.which("apt-get") is None:
        return "no apt-get on this system"
    if os.geteuid() != 0:
        return "installing chromium needs root (apt-get install chromium)"
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=600, env=environment
            )
        except subprocess.TimeoutExpired:
            return f"`{' '.join(command)}` timed out"
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            return f"`{' '.join(command)}` failed: {last}"
    return ""


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", header[16:24])


def test_report_renders_in_headless_chromium(history: Store, tmp_path: Path) -> None:
    browser = find_chromium()
    if browser is None:
        reason = install_chromium()
        browser = find_chromium()
        if browser is None:
            pytest.skip(f"headless Chromium not available: {reason or 'not found after install'}")
    page = tmp_path / "report.html"
    page.write_text(build_report(history, MONDAY, actor=A_SUPERVISOR, zone=PARIS), encoding="utf-8")
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists(), f"no screenshot; chromium said: {done.stderr[-800:]}"
    assert png_size(shot) == (1200, 1600)
    # A blank page compresses to a few kilobytes; tables and charts do not.
    assert shot.stat().st_size > 30_000
    page_elements = Elements(page.read_text(encoding="utf-8"))
    svgs = page_elements.find("svg")
    assert len(svgs) == 5 and {"bars", "heatmap"} <= {
        word for svg in svgs for word in svg["class"].split()
    }
    assert all(float(svg["width"]) > 0 and float(svg["height"]) > 0 for svg in svgs)
    assert len(page_elements.find("rect", "bar")) >= 10


def test_the_header_names_one_time_zone_and_days_are_local(history: Store) -> None:
    # An opt-out at 00:30 in Paris on Friday the 20th is still Thursday the 19th in UTC.
    withdraw(history, 6, paris(MONDAY + timedelta(days=4), "00:30"), "bob")
    html = build_report(history, MONDAY, actor=A_SUPERVISOR, zone=PARIS)
    header = html[html.index("<p class='scope'>") : html.index("</p>")]
    # The clock says 08:00 UTC, 09:00 in Paris: the header speaks Paris time only.
    assert "made 23/11/2026 09:00 · all times in Europe/Paris" in header
    assert "UTC" not in header
    assert "<td>2026-11-20</td><td>dsi6@example.fr</td>" in html
    assert "<td>bob</td><td>2026-11-13</td>" in html  # the opt-in, a week before, local too


def test_report_without_a_week_opens_on_the_last_week_with_calls(
    history: Store, tmp_path: Path, monkeypatch, capsys
) -> None:
    from prospect_tui.core.clock import NOW_VARIABLE
    from prospect_tui.core.report import default_week

    monkeypatch.setenv("PROSPECT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.chdir(tmp_path)
    # Two weeks after the history: last week had no call, the one before had ten.
    monkeypatch.setenv(NOW_VARIABLE, "2026-12-07T08:00:00Z")
    assert main(["--db", str(history.path), "report"]) == 0
    said = capsys.readouterr().err
    assert "report for 2026-11-16 to 2026-11-22 (the last week with calls)" in said
    page = (tmp_path / "prospect-report-2026-W47.html").read_text(encoding="utf-8")
    assert "<td>Calls</td><td>10</td>" in page
    # In the report's scope: a caller with no call gets last week, and is told why.
    week, why = default_week(
        history, caller="zoe", zone=PARIS, now=datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    )
    assert (str(week.first), why) == ("2026-11-30", "last week; no call recorded yet")


def test_the_demos_report_is_not_empty(tmp_path: Path, monkeypatch, capsys) -> None:
    from prospect_tui.core.demo import DEMO_CAMPAIGN, build_demo
    from prospect_tui.core.dialing import Dialer
    from prospect_tui.core.records import OptIn

    monkeypatch.setenv("PROSPECT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.chdir(tmp_path)
    demo = build_demo(tmp_path / "demo.db")
    # Tried today, a Monday: three calls this week, none the week before.
    dialer = Dialer(demo, "marie", demo.campaign(DEMO_CAMPAIGN))
    for outcome in ("no_answer", "switchboard", "opt_in"):
        lead = dialer.next_lead()
        opt_in = OptIn("dsi@example.fr", "M. Roy") if outcome == "opt_in" else None
        dialer.record(lead["id"], outcome, started_at=demo.clock(), duration_s=60, opt_in=opt_in)
    demo.close()
    assert main(["--db", str(tmp_path / "demo.db"), "report"]) == 0
    said = capsys.readouterr().err
    assert "2026-11-23 to 2026-11-29 (this week so far: the last week with calls)" in said
    page = (tmp_path / "prospect-report-2026-W48.html").read_text(encoding="utf-8")
    assert "<td>Calls</td><td>3</td><td>0</td>" in page
    assert "<td>marie</td>" in page
