"""Phones opening a dashboard get its phone layout (`<slug>-phone`, acme_superset/layout.py).

Superset's grid does not reflow, so each dashboard has a phone twin. Without this, a phone user
had to know the twin's URL. A request for `/superset/dashboard/<slug or id>/` from a phone
browser is redirected to the twin when one exists, with the same query string. `?layout=desktop`
keeps the desktop layout, for someone who wants it on a phone.
"""

from __future__ import annotations

import re

from flask import Flask, Response, redirect, request

# MDN's advice for telling phones from tablets and desktops: "Mobi" anywhere in the User-Agent.
PHONE_USER_AGENT = re.compile("Mobi")
DASHBOARD_PAGE = re.compile(r"^/superset/dashboard/(?P<key>[^/]+)/?$")
PHONE_SUFFIX = "-phone"


def phone_layout_path(path: str, user_agent: str, layout: str | None) -> str | None:
    """The phone layout to send this request to, or None to serve it as it is."""
    match = DASHBOARD_PAGE.match(path)
    if match is None or layout == "desktop" or not PHONE_USER_AGENT.search(user_agent):
        return None
    key = match["key"]
    if key.endswith(PHONE_SUFFIX):
        return None
    # Superset's models need its app context, so they are imported per request, not at start.
    from superset.extensions import db
    from superset.models.dashboard import Dashboard

    by_key = Dashboard.id == int(key) if key.isdigit() else Dashboard.slug == key
    slug = db.session.query(Dashboard.slug).filter(by_key).scalar()
    if not slug:
        return None
    twin = f"{slug}{PHONE_SUFFIX}"
    if db.session.query(Dashboard.id).filter(Dashboard.slug == twin).scalar() is None:
        return None
    return f"/superset/dashboard/{twin}/"


def redirect_phones_to_phone_layouts(app: Flask) -> None:
    """`FLASK_APP_MUTATOR`: redirect dashboard pages requested by phones to their phone layout."""

    @app.before_request
    def to_phone_layout() -> Response | None:
        target = phone_layout_path(
            request.path, request.headers.get("User-Agent", ""), request.args.get("layout")
        )
        if target is None:
            return None
        query = request.query_string.decode()
        return redirect(f"{target}?{query}" if query else target)
