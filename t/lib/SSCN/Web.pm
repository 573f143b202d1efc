package SSCN::Web;

# Runner of the browser tests (t/6NN_web_*.t): each such file calls
# run_web_test() with its script under t/web/, which runs in node's test
# runner with the TAP reporter, so that prove reads its results as those
# of the .t file.  The scripts drive /usr/bin/chromium through
# playwright-core (node_modules/, which tools/dev installs with npm ci).

use v5.36;

use Exporter qw(import);
use Test::More;

use SSCN::Test;

our @EXPORT = qw(run_web_test);

sub _skip_or_fail ($reason) {
	if (($ENV{SSCN_REQUIRE_STACK} // '') eq '1') {
		plan tests => 1;
		fail("browser test tools available: $reason");
		exit 1;
	}
	plan skip_all => $reason;
}

# Check the stack, Node.js, playwright-core and Chromium, then replace
# this process with node running SCRIPT (a path relative to t/web/).
sub run_web_test ($script) {
	require_stack();

	my $chromium = $ENV{CHROMIUM} // '/usr/bin/chromium';
	my $node = find_node();
	_skip_or_fail('node is not installed') unless $node;
	_skip_or_fail("$ROOT/node_modules/playwright-core is missing; run npm ci "
	    . 'in the work tree (tools/dev up does)')
	    unless -d "$ROOT/node_modules/playwright-core";
	_skip_or_fail("$chromium is missing; install the Debian package chromium "
	    . '(tools/dev up does)')
	    unless -x $chromium;

	$ENV{SSCN_ROOT} = $ROOT;
	$ENV{SSCN_DEV} = $DEV;
	$ENV{SSCN_URL} = $URL;
	$ENV{SSCN_BUILD} = $BUILD;
	# Playwright's error messages carry colour escapes unless told not to.
	$ENV{NO_COLOR} = 1;
	$ENV{FORCE_COLOR} = 0;
	exec($node, '--test', "--test-reporter=$ROOT/t/web/tap-reporter.mjs",
	    '--test-concurrency=1',
	    "$ROOT/t/web/$script")
	    or die "cannot run $node: $!\n";
}

sub find_node () {
	for my $dir (split /:/, $ENV{PATH} // '/usr/bin:/bin') {
		return "$dir/node" if -x "$dir/node";
	}
	return;
}

1;
