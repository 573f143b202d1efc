#!/usr/bin/python3
"""Verify an SSCN access token with PyJWT, a JWT library independent of SSCN.

Usage: jwt_interop.py [--issuer ISS] [--audience AUD] KEYFILE TOKEN

KEYFILE is an SSCN key file ("jwt KID ALG BASE64" lines; "field" lines and
comments are skipped).  The key is the one that the token's "kid" names, and
only that key's algorithm is accepted, as sscnd does.  "exp", "iat", "sub" and
"jti" are required, with 60 seconds of leeway; "iss" and "aud" are checked
when --issuer and --audience are given.

Exit status: 0 with the claims as one JSON object on stdout, 1 when the token
is invalid (the reason goes to stderr), 2 when the key file or the arguments
are unusable.  Needs Debian's python3-jwt and, for EdDSA, python3-cryptography.
"""

import argparse
import base64
import binascii
import json
import sys

try:
    import jwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
except ImportError as exc:
    # Exit 2, not 1, so that a missing module is not taken for a bad token.
    print(f"jwt_interop: {exc}: apt-get install python3-jwt python3-cryptography",
          file=sys.stderr)
    sys.exit(2)

LEEWAY = 60


def read_jwt_keys(path):
    """Return {kid: (algorithm, key)} for the "jwt" lines of a key file."""
    keys = {}
    with open(path, encoding="ascii") as keyfile:
        for lineno, line in enumerate(keyfile, 1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if len(fields) != 4:
                raise ValueError(f"{path}:{lineno}: expected 4 fields")
            purpose, kid, alg, encoded = fields
            if purpose != "jwt":
                continue
            try:
                raw = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"{path}:{lineno}: invalid base64: {exc}") from exc
            if alg == "HS256":
                keys[kid] = (alg, raw)
            elif alg == "EdDSA":
                public = Ed25519PrivateKey.from_private_bytes(raw).public_key()
                keys[kid] = (alg, public)
            else:
                raise ValueError(f"{path}:{lineno}: unknown algorithm {alg!r}")
    return keys


def verify(token, keys, issuer, audience):
    """Return the claims of "token", or raise jwt.InvalidTokenError."""
    kid = jwt.get_unverified_header(token).get("kid")
    if kid not in keys:
        raise jwt.InvalidTokenError(f"unknown kid {kid!r}")
    alg, key = keys[kid]
    required = ["exp", "iat", "sub", "jti"]
    if issuer is not None:
        required.append("iss")
    if audience is not None:
        required.append("aud")
    return jwt.decode(
        token,
        key,
        algorithms=[alg],
        issuer=issuer,
        audience=audience,
        leeway=LEEWAY,
        options={"require": required, "verify_aud": audience is not None},
    )


def main():
    parser = argparse.ArgumentParser(
        description="Verify an SSCN access token with PyJWT and print its claims."
    )
    parser.add_argument("--issuer", help="expected iss claim")
    parser.add_argument("--audience", help="expected aud claim")
    parser.add_argument("keyfile", help="SSCN key file")
    parser.add_argument("token", help="compact JWS token")
    args = parser.parse_args()

    try:
        keys = read_jwt_keys(args.keyfile)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        print(f"jwt_interop: {exc}", file=sys.stderr)
        return 2
    try:
        claims = verify(args.token, keys, args.issuer, args.audience)
    except jwt.InvalidTokenError as exc:
        print(f"jwt_interop: invalid token: {exc}", file=sys.stderr)
        return 1
    json.dump(claims, sys.stdout, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
