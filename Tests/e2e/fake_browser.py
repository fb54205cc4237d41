#!/usr/bin/env python3
"""Plays the browser for `muxgate login` in tests: GET the authorization URL (the test
authorization server approves at once and redirects), then GET where it redirects to (muxgate's
loopback listener). Usage: fake_browser.py URL"""
import sys
import urllib.error
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)
try:
    opener.open(sys.argv[1], timeout=10)
    sys.exit("the authorization server did not redirect")
except urllib.error.HTTPError as redirect:
    location = redirect.headers.get("Location")
    if redirect.code not in (301, 302, 303, 307, 308) or not location:
        sys.exit(f"the authorization server answered {redirect.code}: {redirect.read()[:300]!r}")
with urllib.request.urlopen(location, timeout=10) as page:
    page.read()
