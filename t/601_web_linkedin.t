#!/usr/bin/perl
# "Sign in with LinkedIn" in Chromium against the mock provider that
# tools/dev oidc-mock starts on loopback: a new member accepts the terms
# and reaches the dashboard; a cancelled sign-in shows its message.  The
# journey is in t/web/linkedin.test.mjs.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Web;

run_web_test('linkedin.test.mjs');
