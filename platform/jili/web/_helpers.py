"""Small helpers the tenant views share."""

from __future__ import annotations

from flask import g, make_response, redirect, render_template


def saved(list_endpoint_url: str, template: str, **context):
    """After a successful edit: htmx gets the refreshed list swapped into #content,
    a plain browser gets a redirect (POST/redirect/GET)."""
    if g.htmx:
        response = make_response(render_template(template, **context))
        response.headers["HX-Retarget"] = "#content"
        response.headers["HX-Reswap"] = "innerHTML"
        response.headers["HX-Push-Url"] = list_endpoint_url
        return response
    return redirect(list_endpoint_url)


def none_choice(label: str = "—") -> list[tuple[int, str]]:
    return [(0, label)]
