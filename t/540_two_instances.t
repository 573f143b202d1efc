#!/usr/bin/perl
# Two sscnd instances against one PostgreSQL share every guard that a
# client could otherwise dodge by landing on the other instance: the rate
# limit, the login lockout, session revocation and TOTP replay
# protection.  A second
# sscnd (instance B) starts beside the dev stack's (instance A), and each
# request goes straight to one instance's FastCGI socket, so which
# instance served it is fixed by the test and confirmed in that
# instance's log.  Last, an nginx whose upstream lists both sockets
# spreads requests over both.
#
# Instance B names the database as a replicated setup would, with libpq's
# list of hosts and target_session_attrs=read-write: the first host is a
# socket directory where no server listens, so every connection of B
# tries it and goes on to the real one.
#
# Both instances run with the contract's general rate limit, 60 requests
# a minute per client, in place of the dev stack's high one; the stricter
# limits of login and MFA stay high, because the lockout and TOTP checks
# log in many times from one address.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Instances;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

# lockout_threshold in the dev configuration (the default).
my $THRESHOLD = 5;
my $RATE_LIMIT = 60;
my $WINDOW = 60;

# The users come first, through nginx from 127.0.0.1, while the dev
# stack's high limits still hold.
my %user = map { $_ => verified_user() } qw(rate lockout sessions totp);
for my $name (sort keys %user) {
	ok($user{$name}, "user for the $name checks")
	    or BAIL_OUT('cannot create a user');
}

# Instance B reads a copy of the dev configuration, so it starts after
# the change and gets the same limits.
ok(conf_override(rate_limit => $RATE_LIMIT, rate_limit_window => $WINDOW),
    "instance A: rate limit $RATE_LIMIT a minute")
    or BAIL_OUT('could not reload sscnd with the rate limit');

my $database = conf_read()->{database} // '';
my ($pg_dir) = $database =~ /\bhost=(\S+)/;
ok($pg_dir, 'dev database connection string names its host')
    or BAIL_OUT("no host= in '$database'");
my $hosts = "$DEV/run/no-postgresql-here,$pg_dir";
(my $failover = $database) =~ s/\bhost=\S+/host=$hosts/;
$failover .= ' target_session_attrs=read-write';

my $b_instance = start_instance('b', conf => { database => qq("$failover") });
my %socket = (A => $FCGI_SOCKET, B => $b_instance->{socket});
my %log = (A => $SSCND_LOG, B => $b_instance->{log});
my $addr = client_addr();

# Send one API request straight to instance NAME ('A' or 'B') and check
# in that instance's log that it served it.
sub on ($name, $method, $path, %opt) {
	my $id = random_id();
	my $offset = file_size($log{$name});
	my $res = api($method, $path, addr => $addr, socket => $socket{$name},
	    request_id => $id, %opt);
	my $served = wait_for(sub {
		read_from($log{$name}, $offset) =~ /\brequest_id=$id\b/;
	}, 3, 0.05);
	ok($served, "$method $path: served by instance $name")
	    or diag("no line with request_id=$id in $log{$name}");
	return $res;
}

# Send GET PATH with OPTIONS to the instances in turn, A first, COUNT
# times, and return the statuses.  Fails one check per instance whose log
# lacks a request it was sent.
sub alternate ($count, $path, %opt) {
	my (%ids, %offset, @statuses);
	%offset = map { $_ => file_size($log{$_}) } keys %log;
	for my $i (0 .. $count - 1) {
		my $name = $i % 2 ? 'B' : 'A';
		my $id = random_id();
		push @{ $ids{$name} }, $id;
		my %each = ref $opt{addr} eq 'CODE' ? (addr => $opt{addr}->()) : ();
		my $res = api('GET', $path, addr => $addr, %opt, %each,
		    socket => $socket{$name}, request_id => $id);
		push @statuses, $res->{status} // 0;
	}
	for my $name (sort keys %ids) {
		my @missing;
		wait_for(sub {
			my $text = read_from($log{$name}, $offset{$name});
			@missing = grep { $text !~ /\brequest_id=$_\b/ }
			    @{ $ids{$name} };
			return !@missing;
		}, 3, 0.1);
		is(scalar @missing, 0, scalar(@{ $ids{$name} })
		    . " requests of GET $path: served by instance $name");
	}
	return @statuses;
}

# Sleep into the next window unless at least 25 s of this one are left:
# the limiter estimates the last minute from two fixed windows, so a burst
# that straddles a boundary can be counted short.
sub fresh_window () {
	my $left = $WINDOW - (time() - int(time() / $WINDOW) * $WINDOW);
	sleep($left + 0.2) if $left < 25;
}

sub login_on ($name, $user, %opt) {
	my $res = on($name, 'POST', '/api/v1/auth/login',
	    json => { email => $user->{email},
	    password => $opt{password} // $user->{password} });
	if (ref $res->{json} eq 'HASH' && defined $res->{json}{access_token}) {
		$res->{token} = $res->{json}{access_token};
		$res->{sid} = (jwt_claims($res->{token}) // {})->{sid};
	}
	return $res;
}

# ---- the two instances are separate processes ------------------------------------

isnt($b_instance->{pid}, master_pid(), 'instance B: its own master');
ok(-S $socket{B} && $socket{B} ne $socket{A}, 'instance B: its own socket');
is(on('B', 'GET', '/api/health/ready')->{status}, 200,
    'instance B: ready through the list of database hosts');

# ---- rate limit ------------------------------------------------------------------

# Per client address: 30 requests on each instance use up the minute.
{
	fresh_window();
	my $client = client_addr();
	my @statuses = alternate($RATE_LIMIT, '/api/v1/categories',
	    addr => $client);
	is(scalar(grep { $_ == 200 } @statuses), $RATE_LIMIT,
	    "address: $RATE_LIMIT requests over A and B pass");
	for my $name (qw(A B)) {
		is_error_response(on($name, 'GET', '/api/v1/categories',
		    addr => $client), 429, 'rate_limited',
		    "address: next request on $name");
	}
}

# Per user, from a new address each time.
{
	fresh_window();
	my $token = login_on('A', $user{rate})->{token};
	ok($token, 'user for the rate limit: logged in on A');
	my @statuses = alternate($RATE_LIMIT, '/api/v1/me', token => $token,
	    addr => \&client_addr);
	is(scalar(grep { $_ == 200 } @statuses), $RATE_LIMIT,
	    "user: $RATE_LIMIT requests over A and B pass");
	for my $name (qw(B A)) {
		is_error_response(on($name, 'GET', '/api/v1/me', token => $token,
		    addr => client_addr()), 429, 'rate_limited',
		    "user: next request on $name");
	}
}

# ---- login lockout ---------------------------------------------------------------

{
	my $user = $user{lockout};
	my $wrong = strong_password();

	# Failures alternate between the instances: A, B, A, B, A.
	for my $n (1 .. $THRESHOLD) {
		my $name = $n % 2 ? 'A' : 'B';
		my $res = login_on($name, $user, password => $wrong);
		is_error_response($res, 401, 'invalid_credentials',
		    "wrong password $n on instance $name");
	}

	for my $name (qw(B A)) {
		my $res = login_on($name, $user);
		is_error_response($res, 401, 'invalid_credentials',
		    "right password on instance $name after $THRESHOLD failures "
		    . 'on both');
		my ($row) = grep { $_->{action} eq 'auth.login' }
		    audit_rows(header($res, 'X-Request-ID'));
		is($row->{details}{reason}, 'locked',
		    "instance $name: audit reason locked");
	}
	my $index = email_index_of($user->{email});
	my $rows = psql_json('SELECT failures, locked_until > now() AS locked '
	    . "FROM sscn.login_lockouts WHERE email_index = '$index'::bytea");
	is(scalar @{ $rows // [] }, 1, 'lockout: one counter row for both '
	    . 'instances');
	ok($rows && $rows->[0]{locked}, 'lockout: the row is locked');
}

# ---- session revocation ------------------------------------------------------------

{
	my $user = $user{sessions};

	# A session made on A, revoked on B, is refused on A.
	my $first = login_on('A', $user);
	is($first->{status}, 200, 'login on A') or diag($first->{body});
	is(on('B', 'GET', '/api/v1/me', token => $first->{token})->{status}, 200,
	    'session from A: accepted by B');
	my $res = on('B', 'DELETE', "/api/v1/auth/sessions/$first->{sid}",
	    token => $first->{token});
	is($res->{status}, 204, 'session from A: revoked on B') or diag($res->{body});
	is_error_response(on('A', 'GET', '/api/v1/me', token => $first->{token}),
	    401, 'unauthorized', 'session revoked on B: refused by A');

	# A session made on B, ended by logout on A, is refused on B.
	my $second = login_on('B', $user);
	is($second->{status}, 200, 'login on B') or diag($second->{body});
	$res = on('A', 'POST', '/api/v1/auth/logout', token => $second->{token});
	is($res->{status}, 204, 'session from B: logout on A') or diag($res->{body});
	is_error_response(on('B', 'GET', '/api/v1/me', token => $second->{token}),
	    401, 'unauthorized', 'session ended on A: refused by B');
}

# ---- TOTP replay ---------------------------------------------------------------------

{
	my $user = $user{totp};
	my $token = login_on('A', $user)->{token};

	my $res = on('A', 'POST', '/api/v1/auth/mfa/totp/setup', token => $token);
	my $secret = ref $res->{json} eq 'HASH' ? $res->{json}{secret} : undef;
	ok(defined $secret, 'TOTP set-up on A') or diag($res->{body});

	# Confirm with the previous step's code, so that the current one is
	# still unused.
	$res = on('B', 'POST', '/api/v1/auth/mfa/totp/confirm', token => $token,
	    json => { code => totp_code($secret, -30) });
	is($res->{status}, 200, 'TOTP confirmed on B') or diag($res->{body});

	my $code = totp_code($secret);
	my $mfa_a = login_on('A', $user)->{json}{mfa_token};
	my $mfa_b = login_on('B', $user)->{json}{mfa_token};
	ok(defined $mfa_a && defined $mfa_b, 'password step on A and on B');

	$res = on('A', 'POST', '/api/v1/auth/mfa/verify',
	    json => { mfa_token => $mfa_a, code => $code });
	is($res->{status}, 200, 'TOTP code accepted by A') or diag($res->{body});

	$res = on('B', 'POST', '/api/v1/auth/mfa/verify',
	    json => { mfa_token => $mfa_b, code => $code });
	is_error_response($res, 401, 'mfa_invalid', 'same code on B: replay refused');
	my ($row) = grep { $_->{action} eq 'auth.login' }
	    audit_rows(header($res, 'X-Request-ID'));
	is($row->{details}{reason}, 'totp_replay', 'replay on B: audit reason '
	    . 'totp_replay');
}

# ---- one upstream over both instances ------------------------------------------------

{
	my $pool = start_pool_nginx($socket{A}, $socket{B});
	my $offset = file_size($pool->{access_log});
	my $count = 20;
	my $ok = 0;
	for (1 .. $count) {
		my $res = request('GET', '/api/health/live', base => $pool->{url});
		$ok++ if ($res->{status} // 0) == 200;
	}
	is($ok, $count, "upstream of both: $count of $count health checks 200");

	my %served;
	wait_for(sub {
		%served = ();
		for (split /\n/, read_from($pool->{access_log}, $offset)) {
			$served{$1}++ if /upstream=unix:(\S+)/;
		}
		my $total = 0;
		$total += $_ for values %served;
		return $total >= $count;
	}, 3);
	ok($served{$socket{A}}, 'upstream of both: instance A served some');
	ok($served{$socket{B}}, 'upstream of both: instance B served some')
	    or diag(explain(\%served));
	stop_pool_nginx();
}

my ($status, $took) = stop_instance($b_instance);
is($status, 0, 'instance B: exit status 0 after SIGTERM');
ok(!-e $socket{B}, 'instance B: socket file removed');

done_testing();
