#!/usr/bin/perl
# Outbound services that hang or refuse, under load: the mock Sentry,
# the mail server and the mock LinkedIn (OpenID) first accept connections
# and never answer, then refuse them.  Meanwhile wrk reads GET /api/v1/me
# and sees no failed answer, a request that causes a Sentry report is
# answered at once, a registration that queues mail is answered at once,
# and only the LinkedIn callback fails, cleanly (302 to the login page
# with oidc_failed) and within linkedin_timeout.  t/402, t/421 and t/441
# cover each service's failure modes without load.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::IP;
use SSCN::Load;
use SSCN::Mail;
use SSCN::Oidc;
use SSCN::Sentry;
use SSCN::Sourcing;
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();
plan skip_all => 'wrk not installed (Debian package wrk)' unless wrk_available();

my $LOAD_SECONDS = 12;
# linkedin_timeout that oidc_setup() configures, in seconds.
my $LINKEDIN_TIMEOUT = 3;
my $SMTP_TIMEOUT = 3;

# ---- mocks ----------------------------------------------------------------------

my $sentry = SSCN::Sentry->start;
my %sentry_keys = $sentry->conf_keys;
delete $sentry_keys{outbound_ca_file};
ok(oidc_setup(%sentry_keys), 'sscnd configured for the mock LinkedIn and Sentry')
    or BAIL_OUT('cannot configure the mocks');

# Both mocks have their own CA; outbound_ca_file takes a bundle.
my $bundle = "$DEV/t702-ca-$$.pem";
{
	open(my $out, '>', $bundle) or die "$bundle: $!";
	for my $ca ("$DEV/oidc-test-$$/ca.pem", $sentry->ca_file) {
		open(my $in, '<', $ca) or die "$ca: $!";
		print $out do { local $/; <$in> };
	}
	close $out;
	chmod 0644, $bundle;
}
END { unlink $bundle if $bundle }
ok(conf_override(outbound_ca_file => $bundle),
    'sscnd trusts both mock CAs') or BAIL_OUT('cannot set outbound_ca_file');

my $res = oidc_sign_in(claims => { sub => new_sub(),
    email => 'oidc-' . random_id() . '@example.test', email_verified => \1 });
is($res && $res->{status}, 302, 'LinkedIn sign-in works before the faults');
# A new account must first accept the terms, as in t/400.
is($res ? header($res, 'Location') : undef,
    '/login.html?restricted=acceptance',
    'LinkedIn sign-in before the faults creates the account');

start_test_mail();
my $buyer = org_user('buyer');

# A loopback port on which nothing listens.
sub closed_port () {
	my $socket = IO::Socket::IP->new(LocalHost => '127.0.0.1',
	    LocalPort => 0, Listen => 1) or die "bind: $!";
	my $port = $socket->sockport;
	close $socket;
	return $port;
}

# ---- one phase ------------------------------------------------------------------

# Run the user requests of one phase under load; NAME prefixes the
# assertions, SENDER_PORT is where the mail sender connects and
# TOKEN_MODE is how the mock LinkedIn's token endpoint answers (see
# t/oidc_mock.py).
sub user_requests_under_load ($name, $sender_port, $token_mode) {
	my $conf = sender_conf({ port => $sender_port },
	    smtp_timeout => $SMTP_TIMEOUT);
	my $sender = start_sender_loop($conf, "$conf.log");

	my $load = load_start('/api/v1/me', token => $buyer->{token},
	    seconds => $LOAD_SECONDS, threads => 2, connections => 8);

	my $t0 = time;
	my $fail = request('POST', '/api/v1/test/fail/a', body => '');
	my $elapsed = time - $t0;
	is($fail->{status}, 500, "$name: request that reports to Sentry answers 500");
	cmp_ok($elapsed, '<', 1, "$name: and answers within 1 s");

	$t0 = time;
	my ($user, $register) = register_user(email => unique_email('t702'));
	$elapsed = time - $t0;
	is($register->{status}, 202, "$name: registration answers 202");
	cmp_ok($elapsed, '<', 5, "$name: and answers within 5 s");

	$t0 = time;
	my $callback = oidc_sign_in(token => $token_mode, claims => { sub => new_sub(),
	    email => 'oidc-' . random_id() . '@example.test',
	    email_verified => \1 });
	$elapsed = time - $t0;
	is($callback && $callback->{status}, 302,
	    "$name: LinkedIn callback answers 302");
	is($callback ? header($callback, 'Location') : undef,
	    '/login.html?error=oidc_failed',
	    "$name: LinkedIn callback redirects with oidc_failed");
	cmp_ok($elapsed, '<', $LINKEDIN_TIMEOUT + 2,
	    "$name: LinkedIn callback fails within linkedin_timeout");

	load_finish_clean($load, $name);

	my ($mail) = outbox_ids($user->{email}, 'verify_email');
	ok($mail, "$name: verification mail queued");
	isnt($mail && outbox_row($mail)->{state}, 'sent',
	    "$name: verification mail not sent");
	# The sender may try older queued mail first.
	ok(wait_for(sub { read_from("$conf.log", 0) =~ /event=mail_deferred/ },
	    $SMTP_TIMEOUT + 10), "$name: the sender deferred mail it could not send")
	    or diag(read_from("$conf.log", 0));

	kill 'TERM', $sender;
	waitpid($sender, 0);
}

# ---- hang -----------------------------------------------------------------------

{
	$sentry->mode('hang', 30);
	# Accepts connections into its backlog and never answers.
	my $silent = IO::Socket::IP->new(LocalHost => '127.0.0.1',
	    LocalPort => 0, Listen => 16) or die "bind: $!";
	# The mock LinkedIn's token endpoint answers after 30 s.
	user_requests_under_load('hang', $silent->sockport, 'hang');
	close $silent;
}

# ---- refuse ---------------------------------------------------------------------

{
	$sentry->stop;
	ok(oidc_setup_refused(), 'token endpoint moved to a closed port');
	user_requests_under_load('refuse', closed_port(), 'ok');
}

# Point sscnd's LinkedIn token endpoint at a loopback port that refuses
# connections.
sub oidc_setup_refused () {
	return conf_override(linkedin_token_endpoint =>
	    'https://127.0.0.1:' . closed_port() . '/token');
}

ok(conf_restore(), 'original configuration restored');
is(request('GET', '/api/health/ready')->{status}, 200, 'ready at the end');

done_testing();
