#!/usr/bin/perl
# Database loss and recovery: with PostgreSQL stopped, /api/health/ready and
# /api/health/ answer 503 while /api/health/live stays 200; once PostgreSQL
# is back, /ready returns to 200 without restarting sscnd.  Also checks the
# privileges of the runtime role sscn_app.
#
# PostgreSQL is always started again before the file ends, also when an
# assertion dies, so the stack is left healthy.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();

my $master = master_pid();
# pg_stop() of SSCN::Test starts PostgreSQL again when the file ends.
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

# ---- runtime role privileges --------------------------------------------------

{
	is(psql_value(q{SELECT rolsuper FROM pg_roles WHERE rolname = 'sscn_app'}),
	    'f', 'sscn_app: not superuser');
	is(psql_value(q{SELECT rolbypassrls FROM pg_roles WHERE rolname = 'sscn_app'}),
	    'f', 'sscn_app: no BYPASSRLS');
	is(psql_value(q{SELECT rolcreaterole OR rolcreatedb FROM pg_roles
	    WHERE rolname = 'sscn_app'}), 'f', 'sscn_app: no CREATEROLE or CREATEDB');
	is(psql_value(q{SELECT count(*) FROM pg_class c
	    JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = 'sscn_app'}),
	    '0', 'sscn_app: owns no table, view or sequence');
	is(psql_value(q{SELECT count(*) FROM pg_namespace n
	    JOIN pg_roles r ON r.oid = n.nspowner WHERE r.rolname = 'sscn_app'}),
	    '0', 'sscn_app: owns no schema');
	is(psql_value(q{SELECT count(*) FROM pg_proc p
	    JOIN pg_roles r ON r.oid = p.proowner WHERE r.rolname = 'sscn_app'}),
	    '0', 'sscn_app: owns no function');
	is(psql_value(q{SELECT has_database_privilege('sscn_app',
	    current_database(), 'CREATE')}), 'f',
	    'sscn_app: cannot create schemas in the database');

	my $schemas = psql_value(q{SELECT string_agg(nspname, ' ' ORDER BY nspname)
	    FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%'
	    AND nspname <> 'information_schema'});
	my @schemas = split ' ', $schemas // '';
	ok(@schemas, 'database has schemas to check') or diag('none found');
	for my $schema (@schemas) {
		is(psql_value("SELECT has_schema_privilege('sscn_app', '$schema', 'CREATE')"),
		    'f', "sscn_app: no CREATE privilege on schema $schema");

		# The same, as sscn_app itself: the statement must fail.
		my ($status, $out) = dev_tool('psql', '-X', '-q', '-v',
		    'ON_ERROR_STOP=1', '-c', "BEGIN; SET LOCAL ROLE sscn_app; "
		    . "CREATE TABLE \"$schema\".t050_probe (x int); ROLLBACK;");
		isnt($status, 0, "sscn_app: CREATE TABLE in $schema fails");
		like($out, qr/permission denied/i,
		    "sscn_app: CREATE TABLE in $schema is permission denied");
	}
}

# ---- PostgreSQL stopped -------------------------------------------------------

my $ready = request('GET', '/api/health/ready');
is($ready->{status}, 200, 'ready before pg-stop: status 200');
if (($ready->{status} // 0) != 200) {
	diag('stack not ready, so PostgreSQL is not stopped');
	done_testing();
	exit;
}

{
	my $t0 = time;
	my ($status, $out) = pg_stop();
	is($status, 0, 'tools/dev pg-stop: exit 0') or diag($out);

	# Every worker must notice the loss; ask several times so that more
	# than one worker answers.
	my $res;
	my $got_503 = wait_for(sub {
		$res = request('GET', '/api/health/ready');
		return ($res->{status} // 0) == 503;
	}, 15, 0.2);
	ok($got_503, 'ready with pg stopped: 503 within 15 s')
	    or diag("last status: " . ($res->{status} // $res->{error}));
	diag(sprintf('ready answered 503 after %.2f s', time - $t0));

	for my $i (1 .. 6) {
		$res = request('GET', '/api/health/ready', timeout => 20);
		my $body = is_error_response($res, 503, 'unavailable',
		    "ready with pg stopped #$i", allow_top => ['status']);
		is(ref $body eq 'HASH' ? $body->{status} // 'unavailable' : undef,
		    'unavailable', "ready with pg stopped #$i: status, if any, unavailable");
		my $message = ref $body eq 'HASH' && ref $body->{error} eq 'HASH'
		    ? $body->{error}{message} // '' : '';
		unlike($message, qr{/|\.c\b|PQ|SQL|libpq|postgres|socket|errno}i,
		    "ready with pg stopped #$i: message holds no internals");
	}

	for my $i (1 .. 6) {
		$res = request('GET', '/api/health/live', timeout => 20);
		is($res->{status}, 200, "live with pg stopped #$i: status 200");
	}

	$res = request('GET', '/api/health/', timeout => 20);
	is($res->{status}, 503, 'health with pg stopped: status 503');
	my $body = decode_json_body($res) // {};
	is(ref $body eq 'HASH' ? $body->{status} : undef, 'unavailable',
	    'health with pg stopped: status unavailable');
	my $db = ref $body eq 'HASH' && ref $body->{checks} eq 'HASH'
	    ? $body->{checks}{database} : undef;
	ok(ref $db eq 'HASH' && ($db->{status} // '') ne 'ok',
	    'health with pg stopped: database check not ok')
	    or diag(explain($body));

	is(master_pid(), $master, 'master survives pg-stop');
}

# ---- PostgreSQL started again ---------------------------------------------------

{
	my $t0 = time;
	ok(pg_start(), 'tools/dev pg-start: exit 0');

	# Each worker reconnects on its next request, possibly after a short
	# back-off; wait for 10 answers of 200 in a row.
	my $streak = 0;
	my $last;
	my $recovered = wait_for(sub {
		$last = request('GET', '/api/health/ready', timeout => 10);
		$streak = ($last->{status} // 0) == 200 ? $streak + 1 : 0;
		return $streak >= 10;
	}, 20, 0.1);
	ok($recovered, 'ready after pg-start: 10 answers of 200 in a row within 20 s')
	    or diag('last answer: ' . ($last->{status} // $last->{error}));
	diag(sprintf('ready recovered after %.2f s', time - $t0));

	is(master_pid(), $master, 'ready after pg-start: same master pid');
	my $res = request('GET', '/api/health/');
	is($res->{status}, 200, 'health after pg-start: status 200');
}

done_testing();
