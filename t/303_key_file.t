#!/usr/bin/perl
# The key file belongs to the service user with mode 0600 and only the
# master reads it: a worker started while the file is unreadable still
# serves authenticated requests with the master's keys, and a reload
# that cannot read the file keeps the running keys and logs why.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

my $KEYS = "$DEV/keys";
my @stat = stat $KEYS;
is(sprintf('%04o', $stat[2] & 07777), '0600', 'key file: mode 0600');
is(scalar(getpwuid($stat[4])), 'sscn', 'key file: owned by the service user');

my $user = verified_user() or BAIL_OUT('cannot create a user');
my $token = login_user($user)->{token} or BAIL_OUT('login failed');
is(api('GET', '/api/v1/me', token => $token)->{status}, 200,
    'before: the profile answers');

my $master = master_pid() or BAIL_OUT('no sscnd master');

# ---- a new worker while the file is unreadable ----------------------------

chmod 0000, $KEYS or BAIL_OUT("chmod $KEYS: $!");
my @before = child_pids($master);
kill 'KILL', $before[0];
ok(wait_for(sub {
	my @now = child_pids($master);
	return @now == @before && !grep { $_ == $before[0] } @now;
}, 10), 'respawn: a new worker replaced the killed one');
my $ok = 1;
for (1 .. 2 * @before) {
	$ok = 0 if api('GET', '/api/v1/me', token => $token)->{status} != 200;
}
ok($ok, 'respawn: every worker answers with the master\'s keys');

# ---- a reload that cannot read the file --------------------------------------

my $offset = file_size($SSCND_LOG);
kill 'HUP', $master;
ok(wait_for(sub { read_from($SSCND_LOG, $offset) =~ /event=reload_finished/ },
    20), 'reload: finished');
like(read_from($SSCND_LOG, $offset), qr/event=reload_keys_failed .*kept the running keys/,
    'reload: the unreadable key file is logged');
unlike(read_from($SSCND_LOG, $offset), qr/(?:jwt|field|index) \S+ \S+ [A-Za-z0-9+\/]{40,}/,
    'reload: no key in the log');
is(api('GET', '/api/v1/me', token => $token)->{status}, 200,
    'reload: the running keys still serve');

# ---- restore ------------------------------------------------------------------

chmod 0600, $KEYS or BAIL_OUT("chmod $KEYS: $!");
$offset = file_size($SSCND_LOG);
kill 'HUP', $master;
ok(wait_for(sub { read_from($SSCND_LOG, $offset) =~ /event=reload_finished/ },
    20), 'restore: reload finished');
unlike(read_from($SSCND_LOG, $offset), qr/reload_keys_failed/,
    'restore: keys read again');

done_testing();
