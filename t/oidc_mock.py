#!/usr/bin/python3
"""A mock OpenID provider that behaves like Sign In with LinkedIn, for tests.

Usage: oidc_mock.py --dir DIR --cert PEM --key PEM --client-id ID
                    --client-secret SECRET [--port N]

Serves HTTPS on 127.0.0.1 only, with the certificate given, and writes the
port it listens on to DIR/port.  Endpoints:

  GET  /authorize   redirects at once to redirect_uri with a code and the
                    state (no login page), or with error=access_denied
  POST /token       client_secret_post; answers {"access_token","id_token",
                    ...}; rejects code_verifier with 400 invalid_request, as
                    LinkedIn's web flow does; never puts a nonce in the token
  GET  /jwks        the public key set
  GET  /userinfo    the claims, for a Bearer access token

ID tokens are RS256, signed by an RSA key made at start (kid "k1").  Each
request reads DIR/control.json, which the test writes, so a test can change
the behaviour between requests:

  {"authorize": "ok" | "error",
   "token": "ok" | "fail" | "hang" | "no_id_token",
   "id_token": "ok" | "wrong_aud" | "wrong_iss" | "expired" | "other_key"
               | "hs256_pubkey" | "none" | "rotated",
   "claims": {"sub": ..., "email": ..., "email_verified": ..., "name": ...}}

"hang" sleeps 30 seconds before answering.  "rotated" publishes a second key
(kid "k2") and signs with it.  Every request is appended to DIR/requests.log
as one JSON line (path, and for /token the form's field names and whether
the client secret matched; never the secret itself).

To try the web UI by hand, run it with tools/dev's certificate directory and
point the linkedin_* keys of .dev/sscn.conf at it (sscn.conf(5)).
Needs Debian's python3-jwt and python3-cryptography.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key, kid):
    numbers = key.public_key().public_numbers()
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b64url(n), "e": b64url(e)}


class Provider:
    def __init__(self, args):
        self.args = args
        self.keys = {kid: rsa.generate_private_key(public_exponent=65537,
                                                   key_size=2048)
                     for kid in ("k1", "k2", "stranger")}
        self.codes = {}
        self.lock = threading.Lock()
        self.issuer = None

    def control(self):
        try:
            with open(os.path.join(self.args.dir, "control.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def record(self, entry):
        with self.lock, open(os.path.join(self.args.dir, "requests.log"),
                             "a") as f:
            f.write(json.dumps(entry) + "\n")

    def id_token(self, control, code_info):
        now = int(time.time())
        mode = control.get("id_token", "ok")
        claims = {"iss": self.issuer, "aud": self.args.client_id,
                  "iat": now, "exp": now + 3600,
                  "sub": "mock-sub", "email": "mock@example.test",
                  "email_verified": True, "name": "Mock User"}
        claims.update(control.get("claims", {}))
        if mode == "wrong_aud":
            claims["aud"] = "another-client"
        elif mode == "wrong_iss":
            claims["iss"] = "https://www.linkedin.com"
        elif mode == "expired":
            claims["iat"] = now - 7200
            claims["exp"] = now - 3600
        kid = "k1"
        if mode == "rotated":
            kid = "k2"
        elif mode == "other_key":
            kid = "stranger"
        if mode == "hs256_pubkey":
            # HS256 keyed with the public key's PEM: the classic confusion.
            pem = self.keys["k1"].public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo)
            header = b64url(json.dumps({"alg": "HS256", "kid": "k1",
                                        "typ": "JWT"}).encode())
            payload = b64url(json.dumps(claims).encode())
            mac = hmac.new(pem, f"{header}.{payload}".encode(),
                           hashlib.sha256).digest()
            return f"{header}.{payload}.{b64url(mac)}"
        if mode == "none":
            header = b64url(json.dumps({"alg": "none", "kid": "k1"}).encode())
            return f"{header}.{b64url(json.dumps(claims).encode())}."
        return jwt.encode(claims, self.keys[kid], algorithm="RS256",
                          headers={"kid": kid})


class Handler(BaseHTTPRequestHandler):
    server_version = "oidc-mock"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body=None, headers=()):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        provider = self.server.provider
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        provider.record({"method": "GET", "path": url.path,
                         "fields": sorted(query)})
        control = provider.control()
        if url.path == "/authorize":
            redirect = query.get("redirect_uri")
            if query.get("client_id") != provider.args.client_id or \
                    not redirect or query.get("response_type") != "code":
                return self.send(400, {"error": "invalid_request"})
            if control.get("authorize", "ok") == "error":
                answer = {"error": "access_denied",
                          "error_description": "The user cancelled",
                          "state": query.get("state", "")}
            else:
                code = secrets.token_urlsafe(24)
                with provider.lock:
                    provider.codes[code] = {"redirect_uri": redirect}
                answer = {"code": code, "state": query.get("state", "")}
            location = redirect + "?" + urllib.parse.urlencode(answer)
            return self.send(302, None, [("Location", location)])
        if url.path == "/jwks":
            kids = ["k1", "k2"] if control.get("id_token") == "rotated" \
                else ["k1"]
            return self.send(200, {"keys": [public_jwk(provider.keys[k], k)
                                            for k in kids]})
        if url.path == "/userinfo":
            return self.send(200, control.get("claims", {}))
        return self.send(404, {"error": "not_found"})

    def do_POST(self):
        provider = self.server.provider
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        secret_ok = hmac.compare_digest(form.get("client_secret", ""),
                                        provider.args.client_secret)
        provider.record({"method": "POST", "path": self.path,
                         "fields": sorted(form), "secret_ok": secret_ok})
        if self.path != "/token":
            return self.send(404, {"error": "not_found"})
        control = provider.control()
        mode = control.get("token", "ok")
        if mode == "hang":
            time.sleep(30)
        if mode == "fail":
            return self.send(500, {"error": "server_error"})
        if "code_verifier" in form:
            return self.send(400, {"error": "invalid_request",
                                   "error_description":
                                   "code_verifier is not supported"})
        if form.get("client_id") != provider.args.client_id or not secret_ok:
            return self.send(401, {"error": "invalid_client"})
        with provider.lock:
            info = provider.codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or info is None or \
                info["redirect_uri"] != form.get("redirect_uri"):
            return self.send(400, {"error": "invalid_grant"})
        answer = {"access_token": secrets.token_urlsafe(32),
                  "expires_in": 5183999, "scope": "email,openid,profile",
                  "token_type": "Bearer"}
        if mode != "no_id_token":
            answer["id_token"] = provider.id_token(control, info)
        return self.send(200, answer)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.provider = Provider(args)
    port = server.server_address[1]
    server.provider.issuer = f"https://127.0.0.1:{port}"
    tmp = os.path.join(args.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.rename(tmp, os.path.join(args.dir, "port"))
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
