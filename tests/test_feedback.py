"""Anonymous feedback (issue 4): receipt codes, inbox and its permissions, the status
workflow, deadlines, abuse limits and the thresholded monthly summary."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.feedback import receipts, service
from jili.feedback.models import Category, FeedbackSetting, FeedbackThread, Status
from jili.models import AuditLog
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}


def link_for(tenant) -> str:
    with bound_tenant(tenant.id):
        return f"/f/{service.ensure_settings(tenant.id).link_key}/"


def submit(client, link, text="目标太高了", category="target", **kw):
    resp = client.post(link, data={"category": category, "text": text}, headers=EN, **kw)
    assert resp.status_code == 200, resp.text
    return re.search(r'id="receipt-code">([^<]+)<', resp.text).group(1)


def threads(tenant) -> list[FeedbackThread]:
    with bound_tenant(tenant.id):
        return list(db.session.scalars(select(FeedbackThread)))


def thread_for(tenant, code) -> FeedbackThread:
    with bound_tenant(tenant.id):
        return service.find_thread(tenant.id, code)


@pytest.fixture
def acme(make_tenant):
    return make_tenant(slug="acme")


# --- submitting and the receipt code ----------------------------------------------------


def test_staff_finds_the_channel_inside_the_app(acme, member, browser):
    b = browser(member(acme, "staff"))
    home = b.get("/t/acme/", headers=EN)
    assert "/t/acme/feedback/" in home.text  # the sidebar link
    page = b.get("/t/acme/feedback/", headers=EN)
    assert page.status_code == 200
    assert link_for(acme) in page.text
    assert "Inbox" not in page.text  # staff do not see the inbox tab
    form = b.get(link_for(acme), headers=EN)
    for label in (
        "Calculation error",
        "Unfair lead or resource allocation",
        "Target too high",
        "Rule unclear",
        "Suggestion",
        "Other",
    ):
        assert label in form.text


def test_receipt_code_opens_the_thread_from_any_device(app, acme, client, member, browser):
    link = link_for(acme)
    code = submit(client, link, "提成算错了")
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}", code)
    (thread,) = threads(acme)
    assert code.replace("-", "") not in thread.code_hash and thread.code_hash.startswith("$argon2")

    # HR answers in the inbox ...
    hr = browser(member(acme, "hr"))
    resp = hr.post(
        f"/t/acme/feedback/inbox/{thread.id}/answer", data={"text": "已核对，下月补发。"}
    )
    assert resp.status_code == 302

    # ... and the author reads it on another device, typing the code loosely.
    phone = app.test_client()
    loose = code.lower().replace("-", " ")
    page = phone.post(link + "receipt", data={"code": loose}, headers=EN)
    assert "提成算错了" in page.text and "已核对，下月补发。" in page.text
    assert "Answered" in page.text

    # ... and replies, still anonymous: the thread waits for the company again.
    page = phone.post(link + "reply", data={"code": code, "text": "谢谢，还有四月。"}, headers=EN)
    assert "Your reply has been sent." in page.text and "谢谢，还有四月。" in page.text
    assert thread_for(acme, code).status == Status.NEW


def test_wrong_code_same_message_whatever_the_reason(app, acme, make_tenant, client, monkeypatch):
    other = make_tenant(slug="other")
    code = submit(client, link_for(acme))
    foreign = submit(client, link_for(other))
    raw = receipts.normalize(code)
    wrong_rest = receipts.display(raw[:-1] + ("0" if raw[-1] != "0" else "1"))
    fresh = receipts.new_code()

    calls = []
    real_verify = receipts._hasher.verify

    class Counting:
        def verify(self, *args):
            calls.append(args[0])
            return real_verify(*args)

    monkeypatch.setattr(receipts, "_hasher", Counting())
    responses = {}
    for reason, attempt in {
        "malformed": "hello",
        "empty": "",
        "unknown": fresh,
        "right prefix, wrong rest": wrong_rest,
        "another company's code": foreign,
    }.items():
        calls.clear()
        resp = client.post(link_for(acme) + "receipt", data={"code": attempt}, headers=EN)
        assert len(calls) == 1, f"{reason}: {len(calls)} slow verifications"
        responses[reason] = (resp.status_code, resp.data)
    assert len(set(responses.values())) == 1, "the response tells why a code is wrong"
    status, body = responses["unknown"]
    assert status == 200 and b"does not open any feedback here" in body
    # A reply with a wrong code is refused the same way and stores nothing.
    resp = client.post(link_for(acme) + "reply", data={"code": wrong_rest, "text": "x"}, headers=EN)
    assert b"does not open any feedback here" in resp.data
    with bound_tenant(acme.id):
        (thread,) = db.session.scalars(select(FeedbackThread)).all()
        assert len(thread.messages) == 1


def test_size_limit_and_html_escaping(acme, client, member, browser):
    link = link_for(acme)
    too_long = client.post(link, data={"category": "other", "text": "长" * 5001}, headers=EN)
    assert too_long.status_code == 422
    assert "5000" in too_long.text
    assert (
        client.post(link, data={"category": "other", "text": "   "}, headers=EN).status_code == 422
    )
    assert client.post(link, data={"category": "bogus", "text": "x"}, headers=EN).status_code == 422
    assert threads(acme) == []
    code = submit(client, link, "<script>alert(1)</script><b>粗</b>" + "长" * 4900, "other")
    page = client.post(link + "receipt", data={"code": code})
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
    hr = browser(member(acme, "hr"))
    thread = threads(acme)[0]
    staff_page = hr.get(f"/t/acme/feedback/inbox/{thread.id}")
    assert "<script>alert(1)" not in staff_page.text and "&lt;script&gt;" in staff_page.text
    assert "<script>alert(1)" not in hr.get("/t/acme/feedback/inbox").text
    huge = client.post(link, data={"category": "other", "text": "x" * 100_000})
    assert huge.status_code == 413


def test_resending_the_same_form_does_not_store_twice(acme, client):
    link = link_for(acme)
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', client.get(link).text).group(1)
    data = {"category": "rule", "text": "规则看不懂", "nonce": nonce}
    assert client.post(link, data=data).status_code == 200
    again = client.post(link, data=data, headers=EN)
    assert again.status_code == 409 and "already sent" in again.text
    assert len(threads(acme)) == 1


# --- abuse ------------------------------------------------------------------------------


def test_rate_limit_has_a_clear_message_and_keys_no_address(app, acme, client):
    app.config.update(
        FEEDBACK_RATELIMIT_ENABLED=True,
        FEEDBACK_SUBMIT_LIMIT="2 per hour",
        FEEDBACK_LOOKUP_LIMIT="3 per hour",
    )
    link = link_for(acme)
    env = {"REMOTE_ADDR": "192.0.2.10"}
    submit(client, link, environ_base=env)
    code = submit(client, link, environ_base=env)
    limited = client.post(
        link, data={"category": "other", "text": "第三条"}, headers=EN, environ_base=env
    )
    assert limited.status_code == 429
    assert "Too much feedback has been sent from your network" in limited.text
    assert "Nothing was saved" in limited.text
    assert len(threads(acme)) == 2
    # Another network is not held up.
    submit(client, link, environ_base={"REMOTE_ADDR": "192.0.2.11"})

    for _ in range(3):
        assert (
            client.post(link + "receipt", data={"code": code}, environ_base=env).status_code == 200
        )
    blocked = client.post(link + "receipt", data={"code": code}, headers=EN, environ_base=env)
    assert blocked.status_code == 429 and "Too many receipt codes" in blocked.text
    assert "第三条" not in blocked.text

    from jili.feedback import ratelimit

    keys = " ".join(map(str, ratelimit.limiter().storage.storage.keys()))
    assert "192.0.2.10" not in keys and "192.0.2.11" not in keys


def test_salt_rotates_daily(app, monkeypatch):
    from jili.feedback import ratelimit

    lim = ratelimit.SaltedLimiter("memory://")
    monkeypatch.setattr(lim, "_today", lambda: "2026-11-23")
    monday = lim.source_key("192.0.2.10")
    assert lim.source_key("192.0.2.10") == monday
    monkeypatch.setattr(lim, "_today", lambda: "2026-11-24")
    assert lim.source_key("192.0.2.10") != monday


# --- inbox, permissions, workflow -------------------------------------------------------


@pytest.mark.parametrize(
    "role,inbox,summary,settings",
    [
        ("owner", 200, 200, 200),
        ("admin", 200, 200, 200),
        ("hr", 200, 200, 403),
        ("manager", 403, 200, 403),
        ("consultant", 403, 403, 403),
        ("staff", 403, 403, 403),
    ],
)
def test_who_sees_the_inbox(role, inbox, summary, settings, acme, member, browser):
    b = browser(acme.owner if role == "owner" else member(acme, role))
    assert b.get("/t/acme/feedback/").status_code == 200  # everyone may write
    assert b.get("/t/acme/feedback/inbox").status_code == inbox
    assert b.get("/t/acme/feedback/summary").status_code == summary
    assert b.get("/t/acme/feedback/settings").status_code == settings


def test_consultants_only_by_explicit_grant(acme, client, member, browser):
    code = submit(client, link_for(acme))
    thread = thread_for(acme, code)
    consultant = browser(member(acme, "consultant"))
    assert consultant.get("/t/acme/feedback/inbox").status_code == 403
    assert consultant.get(f"/t/acme/feedback/inbox/{thread.id}").status_code == 403
    owner = browser(acme.owner)
    resp = owner.post(
        "/t/acme/feedback/settings",
        data={"deadline_days": "3", "aggregate_threshold": "5", "consultant_access": "y"},
    )
    assert resp.status_code == 302
    assert consultant.get("/t/acme/feedback/inbox").status_code == 200
    assert consultant.get(f"/t/acme/feedback/inbox/{thread.id}").status_code == 200
    with bound_tenant(acme.id):
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "feedback.settings"))
        assert entry.actor_id == acme.owner.id and entry.after == {"consultant_access": True}


def test_another_tenants_feedback_is_404(acme, make_tenant, client, member, browser):
    other = make_tenant(slug="other")
    code = submit(client, link_for(other))
    foreign = thread_for(other, code)
    hr = browser(member(acme, "hr"))
    assert hr.get(f"/t/acme/feedback/inbox/{foreign.id}").status_code == 404
    assert (
        hr.post(f"/t/acme/feedback/inbox/{foreign.id}/answer", data={"text": "x"}).status_code
        == 404
    )
    assert hr.post(f"/t/acme/feedback/inbox/{foreign.id}/close").status_code == 404
    assert hr.get(f"/t/other/feedback/inbox/{foreign.id}").status_code == 404
    assert foreign.id not in hr.get("/t/acme/feedback/inbox?status=all").text


def test_status_workflow_and_audit(acme, client, member, browser):
    link = link_for(acme)
    code = submit(client, link, "线索分配不公平", "allocation")
    thread = thread_for(acme, code)
    assert thread.status == Status.NEW
    hr_user = member(acme, "hr", email="hr.li@acme.example")
    hr = browser(hr_user)
    inbox = hr.get("/t/acme/feedback/inbox", headers=EN)
    assert "线索分配不公平" in inbox.text and "New" in inbox.text

    assert (
        hr.post(f"/t/acme/feedback/inbox/{thread.id}/answer", data={"text": ""}).status_code == 422
    )
    hr.post(f"/t/acme/feedback/inbox/{thread.id}/answer", data={"text": "按区域轮转分配。"})
    assert thread_for(acme, code).status == Status.ANSWERED
    client.post(link + "reply", data={"code": code, "text": "可是华南没有轮转"})
    assert thread_for(acme, code).status == Status.NEW
    hr.post(f"/t/acme/feedback/inbox/{thread.id}/answer", data={"text": "已转给华南经理。"})
    resp = hr.post(f"/t/acme/feedback/inbox/{thread.id}/close")
    assert resp.status_code == 302
    assert thread_for(acme, code).status == Status.CLOSED

    # Closed: no more answers, no more replies.
    assert (
        hr.post(f"/t/acme/feedback/inbox/{thread.id}/answer", data={"text": "再补充"}).status_code
        == 409
    )
    assert hr.post(f"/t/acme/feedback/inbox/{thread.id}/close").status_code == 409
    late = client.post(link + "reply", data={"code": code, "text": "还有一件事"}, headers=EN)
    assert late.status_code == 409 and "closed" in late.text
    with bound_tenant(acme.id):
        fresh = db.session.get(FeedbackThread, thread.id)
        assert [m.from_staff for m in fresh.messages] == [False, True, False, True]
        assert [m.seq for m in fresh.messages] == [1, 2, 3, 4]
        entries = db.session.scalars(
            select(AuditLog).where(AuditLog.object_type == "FeedbackThread").order_by(AuditLog.id)
        ).all()
    assert [e.action for e in entries] == ["feedback.answer", "feedback.answer", "feedback.close"]
    for e in entries:  # named: the staff member who answered; never the author
        assert e.actor_id == hr_user.id and e.actor_label == "hr.li@acme.example"
        assert e.object_id == thread.id
    assert entries[0].before == {"status": "new"} and entries[0].after == {"status": "answered"}
    with bound_tenant(acme.id):  # submitting and replying are nobody's actions: no entries
        assert (
            db.session.scalar(
                select(AuditLog).where(
                    AuditLog.action.like("feedback.%"), AuditLog.actor_id.is_(None)
                )
            )
            is None
        )


def test_htmx_answer_swaps_the_thread(acme, client, member, browser):
    code = submit(client, link_for(acme))
    thread = thread_for(acme, code)
    hr = browser(member(acme, "hr"))
    resp = hr.post(
        f"/t/acme/feedback/inbox/{thread.id}/answer",
        data={"text": "收到"},
        headers={"HX-Request": "true", **EN},
    )
    assert resp.status_code == 200 and resp.headers["HX-Retarget"] == "#content"
    assert "收到" in resp.text and "<html" not in resp.text


# --- deadlines and order ----------------------------------------------------------------


def test_working_days():
    friday = date(2026, 11, 27)
    assert friday.weekday() == 4
    assert service.add_working_days(friday, 3) == date(2026, 12, 2)  # Mon, Tue, Wed
    assert service.add_working_days(date(2026, 11, 28), 1) == date(2026, 11, 30)  # Sat → Mon
    assert service.add_working_days(date(2026, 11, 23), 3) == date(2026, 11, 26)  # Mon → Thu
    assert service.add_working_days(friday, 0) == friday


def test_overdue_items_are_highlighted(acme, client, member, browser):
    code_old = submit(client, link_for(acme), "老问题")
    code_new = submit(client, link_for(acme), "新问题")
    with bound_tenant(acme.id):
        old = service.find_thread(acme.id, code_old)
        old.day = old.waiting_since = service.today_for(acme) - timedelta(days=10)
        db.session.commit()
        old_id, new_id = old.id, service.find_thread(acme.id, code_new).id
    hr = browser(member(acme, "hr"))
    page = hr.get("/t/acme/feedback/inbox", headers=EN).text
    old_row = re.search(rf'<tr id="fb-{old_id}"[^>]*>', page).group(0)
    new_row = re.search(rf'<tr id="fb-{new_id}"[^>]*>', page).group(0)
    assert "overdue" in old_row and "overdue" not in new_row
    assert "1 overdue" in page
    assert "Overdue" in hr.get(f"/t/acme/feedback/inbox/{old_id}", headers=EN).text
    # The tenant's deadline is a setting: with 30 working days nothing is late.
    with bound_tenant(acme.id):
        db.session.scalar(select(FeedbackSetting)).deadline_days = 30
        db.session.commit()
    assert "overdue" not in hr.get("/t/acme/feedback/inbox", headers=EN).text.replace("Overdue", "")
    overview = hr.get("/t/acme/feedback/", headers=EN).text
    assert "Waiting for an answer" in overview


def test_listing_order_does_not_reveal_submission_order(acme, client, member, browser):
    link = link_for(acme)
    codes = [submit(client, link, f"第{i}条") for i in range(6)]
    with bound_tenant(acme.id):
        ids = [service.find_thread(acme.id, c).id for c in codes]
    hr = browser(member(acme, "hr"))
    page = hr.get("/t/acme/feedback/inbox").text
    listed = re.findall(r'<tr id="fb-([0-9a-f]{32})"', page)
    assert listed == sorted(ids)  # same day: by the random id, not by arrival
    assert len(set(ids)) == 6


def test_new_link_retires_the_old_one_but_codes_keep_working(acme, client, browser):
    old = link_for(acme)
    code = submit(client, old)
    owner = browser(acme.owner)
    assert owner.post("/t/acme/feedback/settings/link").status_code == 302
    new = link_for(acme)
    assert new != old
    assert client.get(old).status_code == 404
    assert "目标太高了" in client.post(new + "receipt", data={"code": code}).text


def test_suspended_tenant_takes_no_feedback(acme, client):
    from jili.accounts.models import TenantStatus

    link = link_for(acme)
    acme.status = TenantStatus.SUSPENDED
    db.session.commit()
    assert client.get(link).status_code == 404


# --- monthly summary --------------------------------------------------------------------


def _add(tenant, category, day, n):
    with bound_tenant(tenant.id):
        for i in range(n):
            thread, _code = service.create_thread(tenant, category, f"{category} {i}")
            thread.day = thread.waiting_since = day
        db.session.commit()


def test_summary_shows_only_groups_at_the_threshold(acme, member, browser):
    today = date.today()
    this_month = date(today.year, today.month, 1)
    _add(acme, Category.TARGET, this_month, 4)
    manager = browser(member(acme, "manager"))
    month = this_month.strftime("%Y-%m")

    def row():
        page = manager.get("/t/acme/feedback/summary", headers=EN).text
        return re.search(rf"<tr>\s*<td class=\"nowrap\">{month}</td>(.*?)</tr>", page, re.S).group(
            1
        )

    assert "Fewer than 5 submissions" in row() and ">4<" not in row()
    _add(acme, Category.TARGET, this_month, 1)
    cells = re.findall(r'<td class="num[^"]*">(.*?)</td>', row(), re.S)
    assert cells[0] == "<b>5</b>"  # total
    assert cells[3] == "5"  # "Target too high" is the third category
    assert all("&lt; 5" in c for i, c in enumerate(cells[1:], 1) if i != 3)
    # One more in another category: the month total grows, that category stays withheld.
    _add(acme, Category.RULE, this_month, 1)
    cells = re.findall(r'<td class="num[^"]*">(.*?)</td>', row(), re.S)
    assert cells[0] == "<b>6</b>" and "&lt; 5" in cells[4]
    # The threshold is the tenant's: at 3 a group of 4 shows, at 10 nothing does.
    with bound_tenant(acme.id):
        s = service.ensure_settings(acme.id)
        s.aggregate_threshold = 10
        db.session.commit()
    assert "Fewer than 10 submissions" in row()


def test_summary_lists_every_month_so_empty_ones_look_like_small_ones(acme):
    today = date(2026, 11, 24)
    _add(acme, Category.SUGGESTION, date(2026, 9, 3), 5)
    _add(acme, Category.OTHER, date(2026, 7, 9), 1)
    _add(acme, Category.OTHER, date(2025, 1, 9), 9)  # outside the 12-month window
    with bound_tenant(acme.id):
        rows = service.monthly_summary(acme.id, 5, today)
    assert [r.month for r in rows][:3] == [date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1)]
    assert len(rows) == 12 and rows[-1].month == date(2025, 12, 1)
    by_month = {r.month: r for r in rows}
    assert by_month[date(2026, 9, 1)].shown and by_month[date(2026, 9, 1)].total == 5
    assert by_month[date(2026, 9, 1)].cells[Category.SUGGESTION] == 5
    assert by_month[date(2026, 9, 1)].cells[Category.OTHER] is None
    for month in (date(2026, 7, 1), date(2026, 8, 1)):  # one submission, or none: alike
        assert not by_month[month].shown and by_month[month].total == 0
        assert set(by_month[month].cells.values()) == {None}


def test_settings_validation(acme, browser):
    owner = browser(acme.owner)
    bad = owner.post(
        "/t/acme/feedback/settings", data={"deadline_days": "0", "aggregate_threshold": "1"}
    )
    assert bad.status_code == 422
    ok = owner.post(
        "/t/acme/feedback/settings", data={"deadline_days": "2", "aggregate_threshold": "5"}
    )
    assert ok.status_code == 302
    with bound_tenant(acme.id):
        assert service.settings_for(acme.id).deadline_days == 2


def test_language_by_link_browser_or_company_never_stored(make_tenant, client):
    tenant = make_tenant(slug="hant", locale="zh_Hant")
    link = link_for(tenant)
    assert 'lang="en"' in client.get(link + "?lang=en").text
    assert 'lang="en"' in client.get(link, headers=EN).text
    assert 'lang="zh-Hant"' in client.get(link).text  # no preference: the company's language
    resp = client.get(link + "?lang=zh_Hans")
    assert 'lang="zh-Hans"' in resp.text and "Set-Cookie" not in resp.headers
    assert "?lang=zh_Hans" in resp.text  # links keep the choice, in the URL only
