"""REST helpers for parley's accounts (docs/protocol.md, "Accounts"): register, sign in, tokens.

Everything goes over http.client on a fresh connection per request (so a test controls the
source address: the server limits sign-in failures and registrations per address, and
tests that must stay under those limits spread their requests over 127.0.0.x).

- api(server, method, path, body=..., token=..., cookie=..., origin=..., source=...) -> Resp
- register / login / logout / me: thin wrappers that return Resp
- account_token(server, name): the token of account `name`, registering it (or signing in)
  the first time and caching it on the server object afterwards.
- password_for(name): the password the helpers give an account by default.
"""
import hashlib
import http.client
import json
import re
import socket

HOST = "127.0.0.1"
TIMEOUT = 10.0


def password_for(name):
    return f"pw-{name}-correct-horse"


def port_of(server):
    return server if isinstance(server, int) else server.port


def origin_of(server):
    """The Origin a browser on the server's own page sends (http:// + the Host header)."""
    return f"http://{HOST}:{port_of(server)}"


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # [(name, value)] as received
        self.body = body

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def headers_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    @property
    def code(self):
        """The error code of an error answer, else None."""
        try:
            j = self.json()
        except ValueError:
            return None
        return j.get("error") if isinstance(j, dict) else None

    @property
    def cookie_token(self):
        """The parley_session value the answer sets, or None."""
        for v in self.headers_all("set-cookie"):
            m = re.match(r"\s*parley_session=([^;]*)", v)
            if m:
                return m.group(1)
        return None

    def __repr__(self):
        return f"<Resp {self.status} {self.body[:300]!r}>"


def api(server, method, path, body=None, *, token=None, cookie=None, origin=None,
        headers=None, raw=None, source=None, timeout=TIMEOUT):
    """One request on a new connection. body: a JSON value (sent as JSON), or raw: bytes
    sent as they are. token: Authorization: Bearer; cookie: the parley_session cookie;
    origin: an Origin header (True: the server's own origin)."""
    conn = http.client.HTTPConnection(HOST, port_of(server), timeout=timeout,
                                      source_address=(source, 0) if source else None)
    h = {"Connection": "close"}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        h["Content-Type"] = "application/json"
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    if cookie is not None:
        h["Cookie"] = f"parley_session={cookie}"
    if origin is True:
        origin = origin_of(server)
    if origin is not None:
        h["Origin"] = origin
    h.update(headers or {})
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def register(server, name, password=None, **extra):
    body = {"name": name, "password": password_for(name) if password is None else password}
    kw = {k: extra.pop(k) for k in ("token", "cookie", "origin", "headers", "source")
          if k in extra}
    body.update(extra)
    return api(server, "POST", "/api/register", body, **kw)


def login(server, name, password=None, **kw):
    return api(server, "POST", "/api/login",
               {"name": name, "password": password_for(name) if password is None else password},
               **kw)


def me(server, token, **kw):
    return api(server, "GET", "/api/me", token=token, **kw)


def logout(server, token, **kw):
    return api(server, "POST", "/api/logout", token=token, **kw)


def users(server, token):
    r = api(server, "GET", "/api/users", token=token)
    assert r.status == 200, r
    return {u["name"]: u for u in r.json()["users"]}


def user_id(server, token, name):
    return users(server, token)[name]["id"]


def admin(server, token, uid, action, body=None):
    """POST /api/users/ID/<action> (role, ban, unban, deactivate, activate, reset)."""
    return api(server, "POST", f"/api/users/{uid}/{action}", body, token=token)


def invite(server, token, **body):
    return api(server, "POST", "/api/invites", body, token=token)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


OWNER = "root-owner"


def account_token(server, name, password=None, role=None):
    """The token of account `name`: registered (or signed in, if it exists) on first use,
    then cached on the server object (server.tokens).

    The first account of a server becomes its owner; so that the accounts tests ask for are
    plain members (as every user was before accounts), a server without an owner first gets
    the account OWNER, which then sets `role` when one is asked for."""
    cache = getattr(server, "tokens", None)
    if cache is None:
        cache = {}
        try:
            server.tokens = cache
        except AttributeError:
            pass
    if "\0owner" not in cache and name != OWNER:
        info = api(server, "GET", "/api/server")
        assert info.status == 200, info
        if not info.json()["owner_exists"]:
            account_token(server, OWNER)
    if name in cache and password is None:
        tok = cache[name]
    else:
        pw = password_for(name) if password is None else password
        r = register(server, name, pw)
        if r.status == 409:
            r = login(server, name, pw)
        assert r.status in (200, 201), f"cannot register or sign in {name!r}: {r}"
        tok = r.json()["token"]
        assert re.fullmatch(r"[0-9a-f]{64}", tok), tok
        cache[name] = tok
        if r.json()["user"]["role"] == "owner":
            cache.setdefault("\0owner", tok)
    if role is not None:
        owner = cache.get("\0owner")
        assert owner, "no owner account registered through account_token"
        if owner != tok:
            uid = me(server, tok).json()["user"]["id"]
            r = admin(server, owner, uid, "role", {"role": role})
            assert r.status == 200, r
    return tok


def raw_http(port, raw, source=None, timeout=TIMEOUT):
    """Raw request bytes on a new socket (optionally from a source address); returns the
    whole answer as bytes (until the server closes)."""
    s = socket.create_connection((HOST, port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    try:
        s.sendall(raw)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk
    finally:
        s.close()
