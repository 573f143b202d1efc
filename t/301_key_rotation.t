#!/usr/bin/env perl
# sscnctl keys rotate: a new field key is appended to the key file with
# its owner and mode kept, sscnd reloads, and every ciphertext is
# re-encrypted in batches while requests keep reading accounts written
# under the old key.

use v5.36;
use lib 'lib', '../t/lib', 't/lib';

use Test::More;
use POSIX ();
use Time::HiRes qw(time);

use SSCN::Test;
use SSCN::Crypt;

require_stack();

my $master = master_pid() or BAIL_OUT('sscnd is not running');

# Accounts written under the current key, and one TOTP secret.
my @users;
for (1 .. 3) {
	my $user = verified_user() or BAIL_OUT('could not register a user');
	my $login = login_user($user);
	$login->{status} == 200 or BAIL_OUT("login failed: $login->{body}");
	push @users, { %$user, token => $login->{token} };
}

my @before = field_versions();
my $old = $before[-1];
my $mode = (stat "$DEV/keys")[2] & 07777;
my ($uid, $gid) = (stat "$DEV/keys")[4, 5];
my $status = keys_status() or BAIL_OUT('no keys status');
my $rows = 0;
$rows += $_ for values %{ $status->{'sscn.users.email'} // {} };
ok($rows >= 3, "before: status counts the e-mails") or diag(explain($status));

# ---- rotate while requests read the accounts -------------------------------

# A child reads the profiles until the stop file exists and reports the
# results it saw on a pipe.  A file, not a signal, so that no request is
# cut short.
my $stop_file = "$DEV/rotation-test-stop.$$";
unlink $stop_file;
pipe(my $reader, my $writer) or die "pipe: $!";
pipe(my $ready_reader, my $ready_writer) or die "pipe: $!";
my $child = fork() // die "fork: $!";
if ($child == 0) {
	close $reader;
	close $ready_reader;
	my %seen;
	my $deadline = time + 120;
	until (-e $stop_file || time > $deadline) {
		for my $user (@users) {
			my $res = api('GET', '/api/v1/me', token => $user->{token});
			my $ok = $res->{status} == 200
			    && ($res->{json}{email} // '') eq $user->{email};
			$seen{$ok ? 'ok' : "status $res->{status}"}++;
		}
		if ($ready_writer) {
			print $ready_writer "ready\n";
			close $ready_writer;
			undef $ready_writer;
		}
	}
	print $writer join(',', map { "$_=$seen{$_}" } sort keys %seen), "\n";
	close $writer;
	POSIX::_exit(0);
}
close $writer;
close $ready_writer;
my $ready = <$ready_reader>;
ok(defined $ready, 'rotate: reads run before the rotation starts');

# One row per batch: many short transactions, so the reads overlap them.
my ($code, $out) = sscnctl('keys', 'rotate', '--pid', $master,
    '--batch', '1');
sleep 0.5;
open(my $stop, '>', $stop_file) or die "$stop_file: $!";
close $stop;
my $report = <$reader> // '';
unlink $stop_file;
waitpid($child, 0);
chomp $report;

note("reads during the rotation: $report");
is($code, 0, 'rotate: exit status 0') or diag($out);
like($out, qr/added field key version \d+/, 'rotate: reports the new key');
like($out, qr/reloaded its workers/, 'rotate: waited for the reload');
like($out, qr/sscn\.users\.email: re-encrypted \d+ rows/,
    'rotate: reports re-encrypted e-mails');
like($report, qr/^ok=\d+$/, 'rotate: every read during the rotation worked')
    or diag("reads: $report");
my ($reads) = $report =~ /^ok=(\d+)$/;
# The first round ran before the rotation started; any read beyond it ran
# during the rotation or the half second after it.
cmp_ok($reads // 0, '>', scalar @users, 'rotate: reads overlapped the rotation');

# ---- the key file ---------------------------------------------------------

my @after = field_versions();
is(scalar @after, scalar @before + 1, 'key file: one field line added');
is($after[-1], $old + 1, 'key file: next version');
ok((grep { $_ == $old } @after), 'key file: old key kept');
is((stat "$DEV/keys")[2] & 07777, $mode, sprintf('key file: mode %04o kept', $mode));
is(join(':', (stat "$DEV/keys")[4, 5]), "$uid:$gid", 'key file: owner kept');
ok(!glob("$DEV/keys.*"), 'key file: no temporary file left');

# ---- every row is under the new key ---------------------------------------

$status = keys_status() or BAIL_OUT('no keys status');
for my $column (sort keys %$status) {
	my @versions = grep { $_ ne '-' } keys %{ $status->{$column} };
	ok(!@versions || (@versions == 1 && $versions[0] == $after[-1]),
	    "status: $column only under version $after[-1]")
	    or diag(explain($status->{$column}));
}
is(psql_value("SELECT count(*) FROM sscn.users WHERE "
    . "get_byte(email, 0) * 256 + get_byte(email, 1) <> $after[-1] "
    . "OR get_byte(full_name, 0) * 256 + get_byte(full_name, 1) <> $after[-1]"),
    0, 'status: no user row under an older key');

# ---- reads and writes after the rotation ----------------------------------

for my $user (@users) {
	my $res = api('GET', '/api/v1/me', token => $user->{token});
	is($res->{json}{email}, $user->{email}, "after: $user->{email} reads");
	is(login_user($user)->{status}, 200, "after: $user->{email} logs in");
}
my $fresh = verified_user() or BAIL_OUT('could not register after rotation');
is(login_user($fresh)->{status}, 200, 'after: new account logs in');

# A second run has nothing to do and adds no key without --pid.
($code, $out) = sscnctl('keys', 'rotate', '--no-add');
is($code, 0, 'again: rotate --no-add exits 0') or diag($out);
like($out, qr/sscn\.users\.email: re-encrypted 0 rows/,
    'again: nothing left to re-encrypt');
my @again = field_versions();
is(scalar @again, scalar @after, 'again: no key added');

# A pid that is not sscnd's master is rejected before any key is added
# or any signal sent.
($code, $out) = sscnctl('keys', 'rotate', '--pid', $$);
isnt($code, 0, 'bad pid: rotate fails');
like($out, qr/not the sscnd master/, 'bad pid: message names the problem');
my @bad = field_versions();
is(scalar @bad, scalar @after, 'bad pid: no key added');

# --pid adds a key and --no-add promises that none is added, so the two
# together are a usage error (exit 2) and change nothing.
($code, $out) = sscnctl('keys', 'rotate', '--no-add', '--pid', $master);
is($code, 2, 'pid with no-add: usage error');
like($out, qr/--pid and --no-add cannot be used together/,
    'pid with no-add: message names both options');
like($out, qr/^usage: sscnctl keys/m, 'pid with no-add: usage printed');
($code, $out) = sscnctl('keys', 'rotate', '--pid', $master, '--no-add');
is($code, 2, 'no-add after pid: usage error');
my @both = field_versions();
is(scalar @both, scalar @after, 'pid with no-add: no key added');

# A pid of a process that has exited: fork a child, reap it, use its pid.
my $gone = fork() // BAIL_OUT("fork failed: $!");
POSIX::_exit(0) if $gone == 0;
waitpid($gone, 0);
($code, $out) = sscnctl('keys', 'rotate', '--pid', $gone);
is($code, 1, 'missing pid: rotate fails');
like($out, qr/--pid $gone: no such process/,
    'missing pid: message says no such process');
unlike($out, qr/command ""/, 'missing pid: no empty command name');
my @missing = field_versions();
is(scalar @missing, scalar @after, 'missing pid: no key added');

done_testing();
