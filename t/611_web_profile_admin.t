#!/usr/bin/perl
# Browser journeys of the supplier profile editor and the administration
# pages in Chromium: a field error next to its field, a certificate
# upload, markup in the description that must not run; an administrator
# who enrols TOTP, locks and unlocks an account, signs off the access
# review, searches the audit log and records an incident.  The journeys are in
# t/web/profile-admin.test.mjs.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Web;

run_web_test('profile-admin.test.mjs');
