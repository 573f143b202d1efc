#!/usr/bin/perl
# The Prometheus alert rules of monitoring/: "promtool check rules" accepts
# them, every alert that monitoring/README.md describes is defined, and
# "promtool test rules" passes the unit tests of
# monitoring/sscn-alerts.test.yml, which show each alert firing and not
# firing.  Needs no running stack.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

my $PROMTOOL = '/usr/bin/promtool';
my $RULES = "$ROOT/monitoring/sscn-alerts.yml";
my $TESTS = "$ROOT/monitoring/sscn-alerts.test.yml";
my @ALERTS = qw(SSCNHighErrorRate SSCNHealthFailing SSCNLatencyHigh
    SSCNLockoutSpike SSCNMailOutboxBacklog SSCNBackupTooOld
    SSCNRestoreTestTooOld);

unless (-x $PROMTOOL) {
	if (($ENV{SSCN_REQUIRE_STACK} // '') eq '1') {
		plan tests => 1;
		fail('promtool installed (Debian package prometheus)');
		exit 1;
	}
	plan skip_all => 'promtool not installed (Debian package prometheus)';
}

my ($status, $out) = run_cmd([$PROMTOOL, 'check', 'rules', $RULES]);
is($status, 0, 'promtool check rules: exit 0') or diag($out);
like($out, qr/SUCCESS: ${\ scalar @ALERTS} rules found/,
    'promtool check rules: every rule found') or diag($out);

open(my $fh, '<', $RULES) or die "$RULES: $!";
my $rules = do { local $/; <$fh> };
close $fh;
open($fh, '<', "$ROOT/monitoring/README.md") or die "README.md: $!";
my $readme = do { local $/; <$fh> };
close $fh;
for my $alert (@ALERTS) {
	like($rules, qr/^\s*- alert: \Q$alert\E$/m, "rule $alert defined");
	like($readme, qr/^### \Q$alert\E$/m, "rule $alert described in README.md");
}

# promtool resolves rule_files relative to the test file's directory.
($status, $out) = run_cmd([$PROMTOOL, 'test', 'rules', $TESTS],
    timeout => 300);
is($status, 0, 'promtool test rules: exit 0') or diag($out);
like($out, qr/SUCCESS/, 'promtool test rules: SUCCESS') or diag($out);

done_testing();
