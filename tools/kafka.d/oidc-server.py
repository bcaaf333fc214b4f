#!/usr/bin/env python3
"""A small OAuth 2 token endpoint for tests against `tools/kafka start --oidc`.

Serves over HTTPS on 127.0.0.1:
  POST /token   grant_type=client_credentials with the client id and secret in HTTP Basic
                auth (what Kafka's client sends) or in the form; optional `scope`. Answers
                {"access_token": <RS256 JWT>, "token_type": "Bearer", "expires_in": S, ...}.
  GET  /jwks    the JSON Web Key Set with the public key the tokens are signed with.
The JWT claims: iss (this server), sub (the client id), aud ("kafka"), iat, nbf, exp (iat + the
lifetime), jti, and scope when one was asked for.

Python standard library only. RS256 is RSASSA-PKCS1-v1_5 with SHA-256, small enough to do
with pow(); the RSA key is read from `openssl rsa -outform DER -traditional`.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.parse

SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
KEY_ID = "kfk-test-1"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def der_integers(der):
    """The INTEGERs of a DER SEQUENCE of INTEGERs (a PKCS#1 RSAPrivateKey)."""

    def read_len(i):
        n = der[i]
        if n < 0x80:
            return n, i + 1
        k = n & 0x7F
        return int.from_bytes(der[i + 1:i + 1 + k], "big"), i + 1 + k

    if der[0] != 0x30:
        raise ValueError("not a DER SEQUENCE")
    _, i = read_len(1)
    out = []
    while i < len(der):
        if der[i] != 0x02:
            raise ValueError("not a DER INTEGER")
        n, i = read_len(i + 1)
        out.append(int.from_bytes(der[i:i + n], "big"))
        i += n
    return out


class RsaKey:
    def __init__(self, pem_path):
        der = subprocess.run(
            ["openssl", "rsa", "-in", pem_path, "-outform", "DER", "-traditional"],
            check=True, capture_output=True).stdout
        _version, self.n, self.e, self.d = der_integers(der)[:4]
        self.size = (self.n.bit_length() + 7) // 8

    def sign(self, message):
        t = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        em = b"\x00\x01" + b"\xff" * (self.size - len(t) - 3) + b"\x00" + t
        return pow(int.from_bytes(em, "big"), self.d, self.n).to_bytes(self.size, "big")

    def jwk(self):
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID,
                "n": b64url(int_bytes(self.n)), "e": b64url(int_bytes(self.e))}


def make_jwt(key, claims):
    header = {"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    return signing_input.decode() + "." + b64url(key.sign(signing_input))


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "kfk-oidc/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.split("?")[0] == "/jwks":
            self.reply(200, {"keys": [self.server.key.jwk()]})
        else:
            self.reply(404, {"error": "not_found"})

    def client_credentials(self, form):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                pair = base64.b64decode(auth[6:]).decode()
            except ValueError:
                return None, None
            cid, _, secret = pair.partition(":")  # RFC 6749 2.3.1: each part form-encoded
            return urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(secret)
        return form.get("client_id", [None])[0], form.get("client_secret", [None])[0]

    def do_POST(self):
        if self.path.split("?")[0] != "/token":
            return self.reply(404, {"error": "not_found"})
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if form.get("grant_type", [None])[0] != "client_credentials":
            return self.reply(400, {"error": "unsupported_grant_type"})
        cid, secret = self.client_credentials(form)
        if (cid, secret) != (self.server.client_id, self.server.client_secret):
            return self.reply(401, {"error": "invalid_client"})
        now = int(time.time())
        claims = {"iss": self.server.issuer, "sub": cid, "aud": "kafka", "iat": now,
                  "nbf": now, "exp": now + self.server.lifetime_s, "jti": b64url(os.urandom(12))}
        scope = form.get("scope", [None])[0]
        if scope:
            claims["scope"] = scope
        body = {"access_token": make_jwt(self.server.key, claims), "token_type": "Bearer",
                "expires_in": self.server.lifetime_s}
        if scope:
            body["scope"] = scope
        self.reply(200, body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True, help="PEM server certificate chain")
    ap.add_argument("--key", required=True, help="PEM server private key")
    ap.add_argument("--signing-key", required=True, help="PEM RSA key the JWTs are signed with")
    ap.add_argument("--client-id", default="kfk-client")
    ap.add_argument("--client-secret", default="kfk-client-secret")
    ap.add_argument("--lifetime", type=int, default=3600, help="token lifetime in seconds")
    args = ap.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.key = RsaKey(args.signing_key)
    server.client_id, server.client_secret = args.client_id, args.client_secret
    server.lifetime_s = args.lifetime
    server.issuer = "https://127.0.0.1:%d" % args.port
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    # the handshake runs on the first read, in the request's thread, not in accept()
    server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                    do_handshake_on_connect=False)
    sys.stderr.write("serving %s/token and /jwks\n" % server.issuer)
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
