#!/usr/bin/perl
# `sscnctl evidence` reports each database connection's TLS state and
# whether the data directory's file system is on dm-crypt, as text and
# as JSON.  The dev stack connects over a unix socket, so TLS is off; the
# data directory is found once the owner role may read settings, and is
# "unknown" with a reason before.  A connection that fails is reported,
# not fatal, while another one works.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Cwd ();
use JSON::PP;
use Test::More;

require_stack();

my $program = find_program('sscnctl') or BAIL_OUT('sscnctl is not built');

# Run `sscnctl -c CONF evidence ARGS`; returns (exit status, standard
# output, standard error).
sub evidence ($conf, @args) {
	my $err_file = "$DEV/evidence-stderr.$$";
	local $ENV{ERR} = $err_file;
	my ($status, $out) = run_cmd(['sh', '-c', 'exec "$0" "$@" 2>"$ERR"',
	    $program, '-c', $conf, 'evidence', @args], timeout => 30);
	my $stderr = '';
	if (open(my $fh, '<', $err_file)) {
		local $/;
		$stderr = <$fh> // '';
	}
	unlink $err_file;
	return ($status, $out, $stderr);
}

sub evidence_json ($conf) {
	my ($status, $out, $stderr) = evidence($conf, '--json');
	my $data = eval { decode_json($out) };
	diag("evidence --json: exit $status, $stderr") unless ref $data eq 'HASH';
	return ($status, $data // {}, $stderr);
}

my $conf = "$DEV/sscn.conf";
my $data_dir = psql_value('SHOW data_directory');

# ---- without pg_read_all_settings ------------------------------------------------------

psql_value('REVOKE pg_read_all_settings FROM sscn_owner');
my ($status, $report) = evidence_json($conf);
is($status, 0, 'evidence --json: exit 0');
my @conns = @{ $report->{connections} // [] };
is_deeply([map { $_->{setting} } @conns],
    [qw(database database_owner database_maintenance)],
    'evidence: one entry per configured connection');
for my $c (@conns) {
	is($c->{connected}, JSON::PP::true, "$c->{setting}: connected");
	is($c->{tls}, JSON::PP::false, "$c->{setting}: no TLS over a unix socket");
	ok(!defined $c->{protocol}, "$c->{setting}: no TLS protocol");
	like($c->{host} // '', qr{^/}, "$c->{setting}: host is the socket directory");
	is($c->{sslmode}, 'prefer', "$c->{setting}: libpq's default sslmode");
}
is($report->{data_directory}{dm_crypt}, 'unknown',
    'data directory unreadable: dm_crypt unknown');
like($report->{data_directory}{reason} // '', qr/pg_read_all_settings/,
    'data directory unreadable: reason names the privilege');

# ---- with pg_read_all_settings ----------------------------------------------------------

psql_value('GRANT pg_read_all_settings TO sscn_owner');
($status, $report) = evidence_json($conf);
psql_value('REVOKE pg_read_all_settings FROM sscn_owner');
my $dir = $report->{data_directory} // {};
is($dir->{path}, $data_dir, 'data directory: path from SHOW data_directory');
like($dir->{dm_crypt} // '', qr/^(yes|no|unknown)$/, 'data directory: dm_crypt answer');
if (($dir->{dm_crypt} // '') ne 'unknown') {
	like($dir->{device} // '', qr/^\d+:\d+$/, 'data directory: major:minor device');
	my $mount = $dir->{mount_point} // '';
	ok($mount eq '/' || index(Cwd::realpath($data_dir), $mount) == 0,
	    'data directory: lies under the mount point');

	# The same mount as the last matching line of /proc/self/mountinfo.
	my ($device, $best) = ('', -1);
	open(my $fh, '<', '/proc/self/mountinfo') or die "mountinfo: $!";
	while (my $line = <$fh>) {
		my @f = split ' ', $line;
		my $point = $f[4] =~ s/\\([0-7]{3})/chr(oct $1)/ger;
		next unless $point eq '/' || index(Cwd::realpath($data_dir) . '/',
		    "$point/") == 0;
		($device, $best) = ($f[2], length $point) if length $point >= $best;
	}
	is($dir->{device}, $device, 'data directory: device as mountinfo lists it');
	my $dm = -e "/sys/dev/block/$device/dm/uuid";
	is($dir->{dm_crypt}, 'no', 'data directory: no dm-crypt without device-mapper')
	    unless $dm;
}

my ($text_status, $text) = evidence($conf);
is($text_status, 0, 'evidence (text): exit 0');
like($text, qr/^database\s+tls=no /m, 'evidence (text): runtime connection line');
like($text, qr/^data_directory\s+\S/m, 'evidence (text): data directory line');
like($text, qr/^dm_crypt\s+(yes|no|unknown)/m, 'evidence (text): dm_crypt line');

# ---- a connection that fails ---------------------------------------------------------------

# A copy of the configuration whose runtime connection asks for
# verify-full over TCP, where the dev server does not listen.
my $copy = "$DEV/evidence-conf.$$";
{
	open(my $in, '<', $conf) or die "read $conf: $!";
	local $/;
	my $text_conf = <$in>;
	$text_conf =~ s{^database = "[^"]*"}{database = "host=127.0.0.1 port=1 dbname=sscn user=sscn_app sslmode=verify-full connect_timeout=2"}m;
	umask 077;
	open(my $out, '>', $copy) or die "write $copy: $!";
	print $out $text_conf;
	close $out;
}
my ($fail_status, $fail_report, $stderr) = evidence_json($copy);
unlink $copy;
is($fail_status, 0, 'failed runtime connection: still exit 0');
my ($runtime) = grep { $_->{setting} eq 'database' }
    @{ $fail_report->{connections} // [] };
is($runtime->{connected}, JSON::PP::false, 'failed runtime connection: connected false');
like($stderr, qr/could not connect with database/, 'failed runtime connection: reason on stderr');
unlike($stderr, qr/password=/, 'failed runtime connection: no password printed');

($status) = evidence($conf, '--yaml');
is($status, 2, 'evidence with an unknown option: usage error');

done_testing();
