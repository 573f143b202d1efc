#!/usr/bin/perl
# Login lockout: lockout_threshold (5) failures lock the account, so the
# next attempt fails even with the right password.  The upper-case, the
# NFD and a blank-padded spelling of the address count against the same
# lock.  The owner gets one mail per lock, and after lockout_duration the
# right password works again.
# 20 concurrent wrong attempts spread over every worker get at most
# lockout_threshold password evaluations.  The per-address limit answers
# 429 once one client address has address_failure_limit failures.
#
# lockout_duration is set to 3 s for the cool-down part and restored at the
# end, also when the test dies.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep time);
use Unicode::Normalize qw(NFC NFD);

require_stack();
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

my $THRESHOLD = 5;
my $COOL_DOWN = 3;
my $CONCURRENT = 20;

# Audit rows auth.login/failure of USER_ID, counted by details->>'reason'.
sub failure_reasons ($user_id) {
	my $rows = psql_json("SELECT details->>'reason' AS reason, count(*) AS n "
	    . "FROM sscn.audit_log WHERE action = 'auth.login' "
	    . "AND result = 'failure' AND actor_id = '$user_id' "
	    . "GROUP BY 1") // [];
	return { map { $_->{reason} => $_->{n} } @$rows };
}

sub audit_count ($action, $user_id) {
	return psql_value("SELECT count(*) FROM sscn.audit_log "
	    . "WHERE action = '$action' AND target = '$user_id'") // -1;
}

# ---- concurrent attempts on every worker -------------------------------------------

{
	my $user = verified_user();
	ok($user, 'user for concurrent attempts') or BAIL_OUT('cannot create a user');
	my $id = user_id_of($user->{email});
	my $wrong = strong_password();
	my $addr = client_addr();
	my @ids = map { random_id() } 1 .. $CONCURRENT;
	my $log_offset = file_size($SSCND_LOG);

	my @statuses = parallel_map($CONCURRENT, sub ($i) {
		my $res = login_user($user, password => $wrong, addr => $addr,
		    request_id => $ids[$i]);
		return ($res->{status} // 'none') . ' '
		    . (ref $res->{json} eq 'HASH' && ref $res->{json}{error} eq 'HASH'
		    ? $res->{json}{error}{code} : '');
	});
	is(scalar(grep { ($_ // '') eq '401 invalid_credentials' } @statuses),
	    $CONCURRENT, "$CONCURRENT concurrent wrong logins: all 401 invalid_credentials")
	    or diag(join ', ', map { $_ // 'child failed' } @statuses);

	# Which workers served them: sscnd's log lines carry "sscnd[PID]".
	my %wanted = map { $_ => 1 } @ids;
	my %pids;
	wait_for(sub {
		for my $line (split /\n/, read_from($SSCND_LOG, $log_offset)) {
			next unless $line =~ /\brequest_id=([0-9a-f]+)/ && $wanted{$1};
			my ($pid) = $line =~ /sscnd\[(\d+)\]/;
			$pids{$pid} = 1 if defined $pid;
		}
		return keys %pids >= 2;
	}, 3);
	my @workers = child_pids(master_pid() // 0);
	my $workers = @workers;
	cmp_ok(scalar keys %pids, '>=', $workers > 1 ? 2 : 1,
	    "concurrent logins: served by several workers ($workers running)")
	    or diag('pids: ' . join(', ', sort keys %pids));

	my $reasons = failure_reasons($id);
	my $evaluated = $reasons->{wrong_password} // 0;
	cmp_ok($evaluated, '<=', $THRESHOLD,
	    "concurrent logins: at most $THRESHOLD password evaluations")
	    or diag('failure reasons: ' . join(', ', map { "$_=$reasons->{$_}" }
	    sort keys %$reasons));
	cmp_ok($evaluated, '>=', 1, 'concurrent logins: some evaluated');
	is(($reasons->{wrong_password} // 0) + ($reasons->{locked} // 0),
	    $CONCURRENT, 'concurrent logins: every attempt audited');
	is(audit_count('auth.lock', $id), 1, 'concurrent logins: one auth.lock row');
	is(scalar mail_for($user->{email}, 'account_locked'), 1,
	    'concurrent logins: one lock mail');

	my $res = login_user($user, addr => $addr);
	is_error_response($res, 401, 'invalid_credentials',
	    'right password after concurrent lock');
}

# ---- lock, spellings, cool-down ------------------------------------------------------

ok(conf_override(lockout_duration => $COOL_DOWN),
    "lockout_duration set to ${COOL_DOWN}s") or BAIL_OUT('cannot reload sscnd');

{
	# An address with "é": NFC in the registration, NFD and upper case
	# in later attempts.
	my $email = NFC(unique_email("l\x{e9}a"));
	my $upper = uc $email;
	my $decomposed = NFD($email);
	isnt($decomposed, $email, 'NFD spelling differs in code points');
	my $user = verified_user(email => $email);
	ok($user, 'user with a non-ASCII address') or BAIL_OUT('cannot create a user');
	my $addr = client_addr();

	my $res = login_user($user, email => $decomposed);
	is($res->{status}, 200, 'login with the NFD spelling of the address')
	    or diag($res->{body});
	$res = login_user($user, email => $upper);
	is($res->{status}, 200, 'login with the upper-case address');
	my $id = $res->{json}{user}{id} // '';

	my @spellings = ($email, $upper, $decomposed, " $upper\t", $email);
	my $lock_time;
	for my $n (1 .. $THRESHOLD) {
		$res = login_user($user, email => $spellings[$n - 1],
		    password => strong_password(), addr => $addr);
		$lock_time = time;
		is_error_response($res, 401, 'invalid_credentials',
		    "wrong password $n of $THRESHOLD");
	}
	for my $spelling (['NFC', $email], ['upper-case', $upper],
	    ['NFD', $decomposed]) {
		my ($name, $value) = @$spelling;
		$res = login_user($user, email => $value, addr => $addr);
		is_error_response($res, 401, 'invalid_credentials',
		    "locked: right password with the $name address");
	}
	my $elapsed = time - $lock_time;
	ok($elapsed < $COOL_DOWN, sprintf('locked attempts ran within the '
	    . 'cool-down (%.1fs)', $elapsed))
	    or diag('the machine is too slow for a 3 s lock; the attempts '
	    . 'above may have run after it ended');

	my $reasons = failure_reasons($id);
	is($reasons->{wrong_password} // 0, $THRESHOLD,
	    "$THRESHOLD wrong_password audit rows");
	is($reasons->{locked} // 0, 3, 'attempts while locked audited as locked');
	is(audit_count('auth.lock', $id), 1, 'one auth.lock audit row');
	is(scalar mail_for($email, 'account_locked'), 1, 'one lock mail to the owner');

	# After the cool-down the right password works, and the count is new.
	sleep($lock_time + $COOL_DOWN + 0.5 - time) if time < $lock_time + $COOL_DOWN + 0.5;
	$res = login_user($user, email => $upper, addr => $addr);
	is($res->{status}, 200, 'login after the cool-down') or diag($res->{body});

	$res = login_user($user, password => strong_password(), addr => $addr);
	is($res->{status}, 401, 'one wrong password after the cool-down');
	$res = login_user($user, addr => $addr);
	is($res->{status}, 200, 'one failure does not lock');
}

ok(conf_restore(), 'configuration restored');

# ---- per-address limit ----------------------------------------------------------

{
	my $conf = conf_read();
	my $limit = $conf->{address_failure_limit} // 100;
	my $addr = client_addr();
	my $email = unique_email('nobody');
	my $per_child = int(($limit + 3) / 4);

	# Four clients in parallel fill the address's failure budget.
	my @counts = parallel_map(4, sub ($i) {
		my $n = 0;
		for my $k (1 .. $per_child) {
			last if $i * $per_child + $k > $limit;
			my $res = login_user({ email => $email, password => 'x' },
			    addr => $addr);
			$n++ if ($res->{status} // 0) == 401;
		}
		return $n;
	});
	my $sent = 0;
	$sent += $_ // 0 for @counts;
	is($sent, $limit, "$limit failed logins from one address: all 401");

	my $user = verified_user();
	my $res = login_user($user, addr => $addr);
	is_error_response($res, 429, 'rate_limited',
	    'address over the limit: right password');
	like(header($res, 'Retry-After') // '', qr/^\d+$/,
	    'address over the limit: Retry-After in seconds');
	$res = login_user($user, addr => client_addr());
	is($res->{status}, 200, 'another address: login works');
}

done_testing();
