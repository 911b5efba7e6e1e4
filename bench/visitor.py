"""A person's HTTP session for `make scale`: one kept-alive connection to one address,
cookies kept by hand, forms read from the page and posted back as a browser would.

Cookies are kept whatever their Secure flag: the app is told by the load balancer that the
request came over HTTPS, and this client speaks plain HTTP to it behind that.
"""

import http.client
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode

HOST = "waymark.test"  # the site's name: ALLOWED_HOSTS, and the Host every request carries


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: str) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def ok(self) -> bool:
        """An answer that says the request was done: 2xx, or a redirect after a post."""
        return 200 <= self.status < 400


class Visitor:
    def __init__(self, address: str, port: int, timeout: float = 30.0, https: bool = False) -> None:
        """`https`: say the request came over HTTPS, as the load balancer does, for a host
        reached directly."""
        self.address, self.port, self.timeout = address, port, timeout
        self.cookies: dict[str, str] = {}
        self.extra = {"X-Forwarded-Proto": "https"} if https else {}
        self.connection: http.client.HTTPConnection | None = None

    def at(self, address: str, port: int) -> "Visitor":
        """The same person (their cookies) talking to another address."""
        other = Visitor(address, port, self.timeout)
        other.cookies, other.extra = self.cookies, self.extra
        return other

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        headers = {"Host": HOST, **self.extra}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{HOST}"
            headers["Referer"] = f"https://{HOST}{path}"
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.address, self.port, self.timeout)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            answer = self.connection.getresponse()
            text = answer.read().decode()
        except Exception:
            self.close()  # a fresh connection for the next request
            raise
        for value in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        if answer.will_close:
            self.close()
        return Response(answer.status, answer.headers, text)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Response:
        return self.request("POST", path, form)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def sign_in(self, email: str, password: str) -> None:
        form = page_form(self.get("/accounts/login/").body, "password")
        answer = self.post("/accounts/login/", form | {"login": email, "password": password})
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"signing in as {email} failed: {answer.status}\n{answer.body[:500]}")


class _Forms(HTMLParser):
    """The fields of each form on a page, with the values a browser would submit untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.textarea: str | None = None
        self.select: str | None = None
        self.chosen = False  # the select's value is an option marked selected

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        if not self.forms:
            return
        fields = self.forms[-1]
        if tag == "option" and self.select:
            # A browser sends the option marked selected, else the first.
            if "selected" in a or (self.select not in fields and not self.chosen):
                fields[self.select] = a.get("value", "")
                self.chosen = "selected" in a
            return
        if "name" not in a:
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields[name] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea":
            self.textarea = name
            fields[name] = ""
        elif tag == "select":
            self.select, self.chosen = name, False

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.textarea and self.forms:
            # A browser drops the newline that starts a textarea's content.
            value = self.forms[-1][self.textarea]
            self.forms[-1][self.textarea] = value.removeprefix("\n")
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data: str) -> None:
        if self.textarea and self.forms:
            self.forms[-1][self.textarea] += data


def page_form(html: str, with_field: str) -> dict[str, str]:
    """The fields of the page's first form that has a field named `with_field`."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if with_field in form:
            return form
    raise SystemExit(f"no form with a {with_field!r} field on the page:\n{html[:500]}")
