#!/usr/bin/perl
# Browser journeys of the sourcing pages in Chromium: a buyer's RFQ with
# an NDA, invitations, the supplier's NDA acceptance and quote, the award
# after the deadline; markup in an RFQ title and a message shown as text;
# the supplier directory.  The journeys are in t/web/sourcing.test.mjs.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Web;

run_web_test('sourcing.test.mjs');
