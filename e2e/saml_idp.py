"""A real SAML 2.0 identity provider for the saml-federation suite: pysaml2 7.5 (signatures by the
system xmlsec1 binary) behind the standard library's wsgiref server, playing a partner's IdP
(Fabrikam) that signs its guests in to Portico.

    python saml_idp.py --key idp.key --cert idp.crt [--other-key other.key --other-cert other.crt]
                       --sp-metadata URL_OR_FILE [--sp-metadata ...] [--port 0] [--exit-on-stdin-eof]

It binds 127.0.0.1 only and prints `listening on http://127.0.0.1:PORT` first, then one line per
event (`authn-request {...}`, `login-form {...}`, `login {...}`, `response {...}`, `control {...}`,
`request METHOD PATH STATUS`), never a password.

- Entity id `{base}/metadata` (its metadata is served there, with the certificate it signs with
  now); single sign-on `{base}/sso/redirect` (HTTP-Redirect binding, unsigned requests).
- `GET /sso/redirect`: the AuthnRequest is validated by pysaml2 (schema, Destination = this URL,
  Issuer known from the SP metadata, AssertionConsumerServiceURL one of that SP's HTTP-POST
  endpoints). With a live IdP session (cookie `fabrikam_idp_session`) and no ForceAuthn the
  answer comes at once (single sign-on); otherwise a login form (`input[name=username]`
  prefilled from the request's Subject NameID login hint, `input[name=password]`,
  `button#signin`); IsPassive without a session gets a NoPassive error response.
- `POST /sso/login`: username and password (accounts below); a wrong one shows the form again
  ("Wrong username or password"). Then an auto-submitting HTML form POSTs SAMLResponse and the
  request's RelayState to the ACS (HTTP-POST binding).
- The Response and its Assertion are both signed (RSA-SHA256) with the key in force; the
  Assertion carries a persistent NameID (a fixed opaque value per account, the same for every
  SP and every run), the attributes
  `http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress` (the account's address)
  and `displayName`, Audience = the SP's entity id, Recipient and Destination = the ACS,
  InResponseTo = the request's ID, 15 minutes of validity.
- Test hooks (local only): `GET /last-request`, `GET /requests` (what each AuthnRequest said),
  `GET /last-response` (the last SAMLResponse produced, base64 as posted, with its RelayState,
  ACS, user and NameID), `GET /stats` (counts of requests, login forms shown, logins, single
  sign-ons, responses), `GET /control` and `POST /control` with JSON: `{"signing_key": "idp" |
  "other"}` switches the signing key (and the certificate in the metadata), `{"forge_email":
  ADDRESS | null}` rewrites the email in every response after it is signed (a forgery the
  signatures must expose), `{"reload_metadata": true}` fetches the SP metadata again. `GET
  /logout` ends the IdP session.

SP metadata given as a URL is fetched (no proxy) into a file when the server starts; if that
fails (the SP is not up yet) it is tried again on each sign-in request until it works.
"""

import argparse
import base64
import hashlib
import html
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import traceback
import urllib.request
import warnings
from http.cookies import SimpleCookie
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

# pysaml2 7.5 names a cipher mode that newer cryptography releases moved (harmless here).
warnings.filterwarnings("ignore", message="CFB has been moved")

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp
from saml2 import saml
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT, AuthnBroker, authn_context_class_ref
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.s_utils import decode_base64_and_inflate
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT
from saml2.samlp import STATUS_NO_PASSIVE
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
SESSION_COOKIE = "fabrikam_idp_session"
NAMEID_FORMAT_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
METADATA_FETCH_WAIT = 10  # seconds for one fetch of the SP metadata


def opaque_id(username):
    """The persistent NameID of an account: opaque, fixed (the same every run, for every SP)."""
    return "fab-" + hashlib.sha256(f"fabrikam-idp:{username}".encode()).hexdigest()[:32]


# login -> password, address, display name (the address is what Portico matches the invitation with)
ACCOUNTS = {
    "alice": {"password": "alice123", "email": "alice@fabrikam.test", "name": "Alice Fabrikam"},
    "carol": {"password": "carol123", "email": "carol@fabrikam.test", "name": "Carol Fabrikam"},
    "dan": {"password": "dan123", "email": "dan@fabrikam.test", "name": "Dan Fabrikam"},
}
for _login, _account in ACCOUNTS.items():
    _account["name_id"] = opaque_id(_login)


def log(kind, data=None):
    print(kind if data is None else f"{kind} {json.dumps(data, sort_keys=True)}", flush=True)


class Idp:
    """The provider's state: pysaml2 servers (one per signing key), pending requests, sessions."""

    def __init__(self, base, keys, sp_metadata, workdir, xmlsec):
        self.base = base
        self.entity_id = f"{base}/metadata"
        self.sso_url = f"{base}/sso/redirect"
        self.keys = keys  # name -> (key file, cert file)
        self.sp_sources = sp_metadata
        self.workdir = workdir
        self.xmlsec = xmlsec
        self.lock = threading.RLock()
        self.signing_key = "idp"
        self.forge_email = None
        self.servers = {}
        self.metadata_files = []
        self.metadata_error = None
        self.pending = {}  # form key -> {"args", "relay_state", "request"}
        self.sessions = {}  # cookie value -> login
        self.requests = []  # what each AuthnRequest said
        self.last_response = None
        self.stats = {"authn_requests": 0, "refused_requests": 0, "login_forms": 0, "logins": 0,
                      "failed_logins": 0, "sso": 0, "responses": 0}
        self.broker = AuthnBroker()
        self.broker.add(authn_context_class_ref(PASSWORDPROTECTEDTRANSPORT), "")
        self.load_metadata()

    # ---- configuration ----

    def config(self, key, cert):
        return IdPConfig().load({
            "entityid": self.entity_id,
            "name": "Fabrikam test IdP",
            "key_file": key,
            "cert_file": cert,
            "xmlsec_binary": self.xmlsec,
            "metadata": {"local": list(self.metadata_files)} if self.metadata_files else {},
            "accepted_time_diff": 60,
            "service": {"idp": {
                "name": "Fabrikam test IdP",
                "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_EMAILADDRESS],
                "want_authn_requests_signed": False,
                "policy": {"default": {"lifetime": {"minutes": 15}, "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_URI}},
            }},
        })

    def load_metadata(self):
        """Fetches each SP metadata URL into a file; (re)builds the pysaml2 servers. Returns
        whether every source loaded."""
        with self.lock:
            files, errors = [], []
            for i, source in enumerate(self.sp_sources):
                if source.startswith(("http://", "https://")):
                    path = os.path.join(self.workdir, f"sp-metadata-{i}.xml")
                    try:
                        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                        with opener.open(source, timeout=METADATA_FETCH_WAIT) as r:
                            body = r.read()
                        with open(path, "wb") as f:
                            f.write(body)
                        files.append(path)
                    except Exception as e:  # noqa: BLE001 (reported, tried again later)
                        errors.append(f"{source}: {e}")
                else:
                    files.append(source)
            self.metadata_files = files
            try:
                self.servers = {name: Server(config=self.config(key, cert)) for name, (key, cert) in self.keys.items()}
            except Exception as e:  # noqa: BLE001 (a bad metadata document: keep serving, say why)
                errors.append(f"loading the metadata: {e}")
                self.metadata_files = []
                self.servers = {name: Server(config=self.config(key, cert)) for name, (key, cert) in self.keys.items()}
            self.metadata_error = "; ".join(errors) or None
            log("metadata", {"files": files, "sp_entities": self.sp_entities(), "error": self.metadata_error})
            return not errors

    def sp_entities(self):
        server = self.servers.get("idp")
        return sorted(server.metadata.keys()) if server else []

    def server(self):
        return self.servers[self.signing_key]

    def metadata_xml(self):
        key, cert = self.keys[self.signing_key]
        return create_metadata_string(None, self.config(key, cert), 4, None, None, None, None, None).decode()

    def state(self):
        return {"entity_id": self.entity_id, "sso_url": self.sso_url, "signing_key": self.signing_key,
                "forge_email": self.forge_email, "sp_entities": self.sp_entities(),
                "metadata_error": self.metadata_error}

    # ---- the protocol ----

    def describe(self, saml_request, query):
        """What an AuthnRequest says, read before pysaml2 judges it (so refused ones are logged)."""
        info = {"relay_state": (query.get("RelayState") or [None])[0],
                "query_signed": "Signature" in query or "SigAlg" in query, "query_keys": sorted(query)}
        try:
            xml = decode_base64_and_inflate(saml_request)
            req = samlp.authn_request_from_string(xml)
        except Exception as e:  # noqa: BLE001
            info["error"] = f"not a deflated, base64 AuthnRequest: {e}"
            return info, None
        policy = req.name_id_policy
        hint = req.subject.name_id if req.subject is not None else None
        info.update({
            "id": req.id,
            "issuer": req.issuer.text.strip() if req.issuer is not None and req.issuer.text else None,
            "destination": req.destination,
            "acs_url": req.assertion_consumer_service_url,
            "acs_index": req.assertion_consumer_service_index,
            "protocol_binding": req.protocol_binding,
            "issue_instant": req.issue_instant,
            "force_authn": req.force_authn,
            "is_passive": req.is_passive,
            "name_id_policy": None if policy is None else {
                "format": policy.format, "allow_create": policy.allow_create,
                "sp_name_qualifier": policy.sp_name_qualifier},
            "login_hint": None if hint is None else {"format": hint.format, "text": hint.text},
            "requested_authn_context": None if req.requested_authn_context is None else [
                r.text for r in req.requested_authn_context.authn_context_class_ref],
            "xml_signed": req.signature is not None,
            "signed": info["query_signed"] or req.signature is not None,
        })
        return info, xml

    def authn_request(self, query, cookie_user):
        """GET /sso/redirect. Returns (status, content type, body, extra headers)."""
        self.stats["authn_requests"] += 1
        saml_request = (query.get("SAMLRequest") or [None])[0]
        if not saml_request:
            self.stats["refused_requests"] += 1
            return page(400, "Bad request", "No SAMLRequest in the query.")
        info, _ = self.describe(saml_request, query)
        self.requests.append(info)
        log("authn-request", info)
        if info.get("error"):
            self.stats["refused_requests"] += 1
            return page(400, "Bad request", info["error"])
        if not self.sp_entities() or info.get("issuer") not in self.sp_entities():
            self.load_metadata()  # the SP may have come up since
        server = self.server()
        try:
            req = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
            args = server.response_args(req.message, [BINDING_HTTP_POST])
        except Exception as e:  # noqa: BLE001 (the SP sees the reason on the page)
            info["refused"] = f"{type(e).__name__}: {e}"
            self.stats["refused_requests"] += 1
            log("refused", {"id": info.get("id"), "reason": info["refused"], "sp_entities": self.sp_entities(),
                            "metadata_error": self.metadata_error})
            return page(400, "This sign-in request was refused",
                        f"Fabrikam's identity provider refused the request: {info['refused']}")
        info["acs"] = args["destination"]
        pending = {"args": args, "relay_state": info["relay_state"], "request": info}

        if cookie_user in ACCOUNTS and not info.get("force_authn"):
            self.stats["sso"] += 1
            log("sso", {"id": info["id"], "user": cookie_user})
            return self.respond(pending, cookie_user)
        if info.get("is_passive"):
            return self.respond(pending, None, status=STATUS_NO_PASSIVE)
        form_key = secrets.token_urlsafe(16)
        self.pending[form_key] = pending
        return self.login_form(form_key, info)

    def login_form(self, form_key, info, error=None):
        hint = (info.get("login_hint") or {}).get("text") or ""
        username = next((login for login, a in ACCOUNTS.items() if a["email"].lower() == hint.lower()), "")
        self.stats["login_forms"] += 1
        log("login-form", {"id": info.get("id"), "hint": hint, "prefilled": username, "error": error})
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fabrikam sign-in</title></head>
<body>
<h1>Sign in to Fabrikam</h1>
{f'<p id="error" role="alert">{html.escape(error)}</p>' if error else ''}
<form method="post" action="/sso/login">
<input type="hidden" name="key" value="{html.escape(form_key)}">
<label>Username <input type="text" name="username" value="{html.escape(username)}" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit" id="signin">Sign in</button>
</form>
</body></html>"""
        return 200, "text/html; charset=utf-8", body.encode(), []

    def login(self, form):
        """POST /sso/login."""
        form_key = (form.get("key") or [""])[0]
        pending = self.pending.get(form_key)
        if not pending:
            return page(400, "This sign-in has expired", "Go back to the application and sign in again.")
        username = (form.get("username") or [""])[0].strip()
        password = (form.get("password") or [""])[0]
        account = ACCOUNTS.get(username)
        if not account or not secrets.compare_digest(account["password"].encode(), password.encode()):
            self.stats["failed_logins"] += 1
            log("login", {"id": pending["request"].get("id"), "user": username, "ok": False})
            return self.login_form(form_key, pending["request"], "Wrong username or password.")
        del self.pending[form_key]
        self.stats["logins"] += 1
        log("login", {"id": pending["request"].get("id"), "user": username, "ok": True})
        session = secrets.token_urlsafe(24)
        self.sessions[session] = username
        status, ctype, body, headers = self.respond(pending, username)
        return status, ctype, body, headers + [
            ("Set-Cookie", f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax")]

    def respond(self, pending, username, status=None):
        """The signed Response, in an auto-submitting form to the ACS (HTTP-POST binding)."""
        server = self.server()
        args = dict(pending["args"])
        info = pending["request"]
        if status is not None:  # an error Response (NoPassive)
            resp = server.create_error_response(args["in_response_to"], args["destination"], (status, "no session"),
                                                sign=True, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
            name_id_text = None
            forged = False
        else:
            account = ACCOUNTS[username]
            policy_format = (info.get("name_id_policy") or {}).get("format")
            if policy_format == NAMEID_FORMAT_EMAILADDRESS:
                name_id = saml.NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=account["email"])
            else:  # persistent, unspecified or none asked for: the persistent id
                name_id = saml.NameID(format=NAMEID_FORMAT_PERSISTENT, text=account["name_id"],
                                      name_qualifier=self.entity_id, sp_name_qualifier=args["sp_entity_id"])
            name_id_text = name_id.text
            identity = {EMAIL_CLAIM: [account["email"]], "displayName": [account["name"]]}
            resp = server.create_authn_response(
                identity, userid=username, name_id=name_id,
                authn=self.broker.get_authn_by_accr(PASSWORDPROTECTEDTRANSPORT),
                sign_response=True, sign_assertion=True, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256, **args)
            resp = str(resp)
            forged = False
            if self.forge_email:
                # After signing: the signatures must now fail (both cover the changed Assertion).
                needle = f">{account['email']}<"
                if needle not in resp:
                    raise RuntimeError(f"forge_email: {account['email']} not found in the response")
                resp = resp.replace(needle, f">{self.forge_email}<")
                forged = True
        resp = str(resp)
        relay_state = pending["relay_state"] or ""
        posted = server.apply_binding(BINDING_HTTP_POST, resp, args["destination"], relay_state,
                                      response=True)["data"]
        self.stats["responses"] += 1
        self.last_response = {
            "SAMLResponse": base64.b64encode(resp.encode()).decode(),
            "RelayState": pending["relay_state"],
            "acs": args["destination"],
            "in_response_to": args["in_response_to"],
            "sp_entity_id": args["sp_entity_id"],
            "user": username,
            "name_id": name_id_text,
            "signing_key": self.signing_key,
            "forged": forged,
            "status": status or "urn:oasis:names:tc:SAML:2.0:status:Success",
        }
        log("response", {k: v for k, v in self.last_response.items() if k != "SAMLResponse"})
        return 200, "text/html; charset=utf-8", posted.encode(), [("Cache-Control", "no-store")]

    def control(self, body):
        if "signing_key" in body:
            if body["signing_key"] not in self.keys:
                return json_answer({"error": f"signing_key must be one of {sorted(self.keys)}"}, 400)
            self.signing_key = body["signing_key"]
        if "forge_email" in body:
            self.forge_email = body["forge_email"] or None
        if body.get("reload_metadata"):
            self.load_metadata()
        log("control", {"asked": body, "state": self.state()})
        return json_answer(self.state())


def page(status, title, text):
    body = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"</head><body><h1>{html.escape(title)}</h1><p id=\"error\">{html.escape(text)}</p></body></html>")
    return status, "text/html; charset=utf-8", body.encode(), []


def json_answer(data, status=200):
    return status, "application/json", json.dumps(data).encode(), []


REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}


def make_app(idp):
    def app(environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        cookie_user = None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            with idp.lock:
                if SESSION_COOKIE in cookies:
                    cookie_user = idp.sessions.get(cookies[SESSION_COOKIE].value)
                if method == "GET" and path == "/metadata":
                    answer = 200, "application/samlmetadata+xml", idp.metadata_xml().encode(), []
                elif method == "GET" and path == "/sso/redirect":
                    answer = idp.authn_request(query, cookie_user)
                elif method == "POST" and path == "/sso/login":
                    answer = idp.login(parse_qs(raw.decode()))
                elif method == "GET" and path == "/logout":
                    if SESSION_COOKIE in cookies:
                        idp.sessions.pop(cookies[SESSION_COOKIE].value, None)
                    status, ctype, body, headers = page(200, "Signed out", "You signed out of Fabrikam.")
                    answer = status, ctype, body, [("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0")]
                elif method == "GET" and path == "/last-request":
                    answer = json_answer(idp.requests[-1] if idp.requests else None)
                elif method == "GET" and path == "/requests":
                    answer = json_answer(idp.requests)
                elif method == "GET" and path == "/last-response":
                    answer = json_answer(idp.last_response)
                elif method == "GET" and path == "/stats":
                    answer = json_answer(idp.stats)
                elif path == "/control" and method in ("GET", "POST"):
                    answer = idp.control(json.loads(raw or b"{}")) if method == "POST" else json_answer(idp.state())
                elif path in ("/metadata", "/sso/redirect", "/sso/login", "/logout", "/control"):
                    answer = page(405, "Method not allowed", f"{method} {path}")
                else:
                    answer = page(404, "Not found", path)
        except Exception as e:  # noqa: BLE001 (shown, and logged with its traceback)
            log("error", {"path": path, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()})
            answer = page(500, "Identity provider error", f"{type(e).__name__}: {e}")
        status, ctype, body, headers = answer
        start_response(f"{status} {REASONS.get(status, 'Status')}", [
            ("Content-Type", ctype), ("Content-Length", str(len(body))), *headers])
        return [body]

    return app


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per connection: a browser's idle preconnection must not block the others."""
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, fmt, *args):  # one short line per request, without the query string
        if len(args) >= 2 and isinstance(args[0], str):
            method_path = args[0].split(" ")
            log(f"request {method_path[0]} {method_path[1].split('?')[0] if len(method_path) > 1 else ''} {args[1]}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", required=True, help="the signing key (PEM)")
    ap.add_argument("--cert", required=True, help="its certificate (PEM)")
    ap.add_argument("--other-key", help="a second signing key, used after POST /control {\"signing_key\": \"other\"}")
    ap.add_argument("--other-cert")
    ap.add_argument("--sp-metadata", action="append", default=[], help="SP metadata: a URL or a file (repeatable)")
    ap.add_argument("--workdir", help="where fetched metadata goes (default: a new temp dir)")
    ap.add_argument("--xmlsec", default=os.environ.get("XMLSEC1") or shutil.which("xmlsec1") or "/usr/bin/xmlsec1")
    ap.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when standard input closes")
    a = ap.parse_args(argv)
    if not os.access(a.xmlsec, os.X_OK):
        sys.exit(f"saml_idp: no xmlsec1 at {a.xmlsec}: apt-get install xmlsec1")
    if bool(a.other_key) != bool(a.other_cert):
        sys.exit("saml_idp: --other-key and --other-cert go together")
    keys = {"idp": (a.key, a.cert)}
    if a.other_key:
        keys["other"] = (a.other_key, a.other_cert)

    httpd = make_server("127.0.0.1", a.port, lambda e, s: app(e, s), server_class=ThreadingWSGIServer,
                        handler_class=QuietHandler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    idp = Idp(base, keys, a.sp_metadata, a.workdir or tempfile.mkdtemp(prefix="saml-idp-"), a.xmlsec)
    app = make_app(idp)
    if a.exit_on_stdin_eof:
        def watch():
            sys.stdin.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    log(f"listening on {base}")
    log("entity", {"entity_id": idp.entity_id, "sso_url": idp.sso_url})
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
