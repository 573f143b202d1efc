#!/usr/bin/perl
# Browser journeys of the account pages in Chromium: register, verify the
# address from the mail link, log in, enrol TOTP, log in with a code, sign
# out; the cookie banner's choice; no console error or CSP violation on
# any page visited.  The journeys are in t/web/account.test.mjs.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Web;

run_web_test('account.test.mjs');
