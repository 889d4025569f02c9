"""Rendering pages: one Jinja2 environment over ``api/templates``, the request's language, and
error pages in place of problem+json for people.

``PageRoute`` is the route class of every page: a ``PageError`` raised by a page, or a query or
path parameter that does not validate, becomes an HTML error page in the reader's language with
a 4xx status, never a 5xx.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from api.pages import i18n
from api.pages.display import MISSING, chain_text, plain_text
from chain.errors import CarbonLedgerError
from chain.units import Unit, tonnes_text

COOKIE_MAX_AGE = 365 * 24 * 3600

env = Environment(
    loader=PackageLoader("api", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a misspelt variable fails the page test instead of vanishing
    trim_blocks=True,
    lstrip_blocks=True,
)


def _num(value: int | float | Decimal | None) -> str:
    if isinstance(value, Decimal):  # exact tonnes (chain.units): no exponent, no trailing zeros
        return tonnes_text(value, grouped=True)
    return MISSING if value is None else f"{value:,}"


def _tonnes(serials: int | None, unit_grams: int) -> str:
    """``serials`` of a programme whose unit is ``unit_grams`` as exact tonnes: ``1.234``."""
    if serials is None:
        return MISSING
    return tonnes_text(Unit(unit_grams).tonnes(int(serials)), grouped=True)


def _date(value: dt.date | None) -> str:
    return MISSING if value is None else value.isoformat()


def _abbrev(value: str | None, keep: int = 6) -> str:
    """``0xc9d534…17e648``: enough to tell apart and to find; the full value is in a title."""
    if not value:
        return MISSING
    return value if len(value) <= 2 * keep + 3 else f"{value[: keep + 2]}…{value[-keep:]}"


def with_params(here: str, **changes: object) -> str:
    """``here`` (a path and query) with the named parameters replaced (``None`` drops one)."""
    path, _, query = here.partition("?")
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None]
    return path + (f"?{urlencode(params)}" if params else "")


env.globals["with_params"] = with_params
env.filters["num"] = _num
env.filters["tonnes"] = _tonnes
env.filters["unit"] = lambda grams: Unit(int(grams)).symbol
env.filters["date"] = _date
env.filters["abbrev"] = _abbrev
env.filters["chain_text"] = chain_text  # every value a participant wrote, by one rule
env.filters["plain_text"] = plain_text  # the same, where markup cannot go (an <option>)


class PageError(CarbonLedgerError):
    """Show the error page: ``status``, a catalog key for the message, and its fields."""

    def __init__(self, status: int, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields


def _without_lang(request: Request) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    title: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """``template`` rendered in the request's language, with the page chrome's variables."""
    lang, remember = i18n.choose(request)
    t = i18n.Translator(lang)
    here = _without_lang(request)
    html = env.get_template(template).render(
        t=t,
        lang=lang,
        html_lang=t.html_lang,
        title=title,
        here=here,
        switch={code: "/lang?" + urlencode({"to": code, "next": here}) for code in i18n.LANGUAGES},
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = t.html_lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    if remember:
        remember_language(response, lang)
    return response


def remember_language(response: Response, lang: str) -> None:
    response.set_cookie(i18n.COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="lax", httponly=True)


def error_page(request: Request, status: int, message: str, **fields: Any) -> HTMLResponse:
    t = i18n.Translator(i18n.choose(request)[0])
    key = f"error.title.{status}"
    return render(
        request,
        "error.html",
        status=status,
        title=t(key if t.has(key) else "error.title.other"),
        message=message,
        fields=fields,
    )


class PageRoute(APIRoute):
    """A page: its errors are pages too (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except PageError as exc:
                return error_page(request, exc.status, exc.message, **exc.fields)
            except RequestValidationError as exc:
                names = sorted({str(err["loc"][-1]) for err in exc.errors() if err.get("loc")})
                return error_page(request, 400, "error.bad_parameters", names=", ".join(names))

        return page
