#!/usr/bin/env python3
"""A local OIDC issuer for muxgate's tests: keys, a JWKS, a discovery document and signed tokens.

Usage:
  oidc_tool.py init DIR ISSUER KID     make an RSA key KID, write DIR/jwks.json (that key only) and
                                       DIR/.well-known/openid-configuration for ISSUER
  oidc_tool.py rotate DIR KID          make key KID and publish only it in DIR/jwks.json
  oidc_tool.py token DIR KID ISSUER AUD SUB GROUPS SECONDS
                                       print a JWT signed with KID: iss, aud, sub, groups (comma
                                       separated), exp SECONDS from now (negative: expired)

DIR is served as files (python -m http.server) on loopback; ISSUER is its URL.
"""
from __future__ import annotations

import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def make_key(directory: str, kid: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with open(os.path.join(directory, f"{kid}.pem"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": kid, "use": "sig", "alg": "RS256"})
    with open(os.path.join(directory, "jwks.json"), "w") as f:
        json.dump({"keys": [public]}, f)


def main(argv: list[str]) -> int:
    command, directory, *rest = argv
    if command == "init":
        issuer, kid = rest
        os.makedirs(os.path.join(directory, ".well-known"), exist_ok=True)
        with open(os.path.join(directory, ".well-known", "openid-configuration"), "w") as f:
            json.dump({"issuer": issuer, "jwks_uri": issuer + "/jwks.json"}, f)
        make_key(directory, kid)
    elif command == "rotate":
        make_key(directory, rest[0])
    elif command == "token":
        kid, issuer, audience, subject, groups, seconds = rest
        with open(os.path.join(directory, f"{kid}.pem"), "rb") as f:
            key = f.read()
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience, "sub": subject, "iat": now, "exp": now + int(seconds),
                  "groups": [g for g in groups.split(",") if g]}
        print(jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid}))
    else:
        print(f"unknown command {command}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
