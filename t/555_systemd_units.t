#!/usr/bin/perl
# The systemd units: "make install DESTDIR=..." installs a service for
# sscnd, the mail sender, the backup, the restore test and the purge, the
# socket of sscnd, and a timer for each of the last three.  Every service
# carries sscnd.service's sandbox with the same values, runs as sscn and
# names a program that make installed.  systemd-analyze verifies the
# installed units, and its offline security check rates none of them more
# exposed than sscnd.service.
#
# Needs only the build in $SSCN_BUILD, not the running stack.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use SSCN::Test;
use Test::More;

-f "$BUILD/Makefile" or plan skip_all => "no configured build in $BUILD";

my @SERVICES = qw(sscnd sscn-mail sscn-backup sscn-restore-test sscn-purge);
my @TIMERS = qw(sscn-backup sscn-restore-test sscn-purge);
my @EXPECTED = sort(map({ "$_.service" } @SERVICES), 'sscnd.socket',
    map({ "$_.timer" } @TIMERS));

# The unit as {directive => [values]} for its [Service] section, and the
# directives after the "# ---- sandbox" comment in order.
sub read_unit ($path) {
	open(my $fh, '<', $path) or return;
	my (%unit, @sandbox, $section, $in_sandbox);
	while (my $line = <$fh>) {
		chomp $line;
		$in_sandbox = 1 if $line =~ /^# ---- sandbox/;
		if ($line =~ /^\[(\w+)\]$/) {
			$section = $1;
			$in_sandbox = 0 unless $section eq 'Service';
			next;
		}
		next if $line =~ /^\s*(?:#|$)/;
		my ($key, $value) = $line =~ /^(\w+)=(.*)$/ or next;
		push @{ $unit{$section}{$key} }, $value;
		push @sandbox, [$key, $value] if $in_sandbox;
	}
	return { sections => \%unit, sandbox => \@sandbox };
}

# ---- make install ---------------------------------------------------------------

my $dest = tempdir(CLEANUP => 1);
my ($status, $out) = run_cmd(['make', '-C', $BUILD, 'install',
    "DESTDIR=$dest"], timeout => 600);
is($status, 0, 'make install DESTDIR=... exits 0') or diag($out);

my ($sscnd_socket) = split /\n/, `find $dest -name sscnd.socket -type f`;
ok($sscnd_socket, 'sscnd.socket installed') or BAIL_OUT('no units installed');
(my $unit_dir = $sscnd_socket) =~ s{/sscnd\.socket$}{};
opendir(my $dh, $unit_dir) or die "open $unit_dir: $!";
my @installed = sort grep { !/^\./ } readdir $dh;
closedir $dh;
is_deeply(\@installed, \@EXPECTED, 'installed units: '
    . join(' ', @EXPECTED)) or diag("in $unit_dir: @installed");

my %units = map { $_ => read_unit("$unit_dir/$_") } @installed;

# ---- the services ---------------------------------------------------------------

my @reference = @{ $units{'sscnd.service'}{sandbox} };
cmp_ok(scalar @reference, '>=', 20, 'sscnd.service: sandbox directives found');

for my $service (map { "$_.service" } @SERVICES) {
	my $unit = $units{$service} or next;
	my $section = $unit->{sections}{Service} // {};

	is_deeply($section->{User}, ['sscn'], "$service: User=sscn");
	is_deeply($section->{Group}, ['sscn'], "$service: Group=sscn");
	is_deeply($section->{UMask}, ['0077'], "$service: UMask=0077");

	my %have;
	push @{ $have{$_->[0]} }, $_->[1] for @{ $unit->{sandbox} };
	my %want;
	push @{ $want{$_->[0]} }, $_->[1] for @reference;
	my @missing = grep { !defined $have{$_}
	    || join("\n", @{ $have{$_} }) ne join("\n", @{ $want{$_} }) }
	    sort keys %want;
	is_deeply(\@missing, [], "$service: sandbox of sscnd.service")
	    or diag(join "\n", map { "$_: want @{ $want{$_} }, have "
	    . join(' ', @{ $have{$_} // ['nothing'] }) } @missing);

	my @exec = map { @{ $section->{$_} // [] } } qw(ExecStartPre ExecStart);
	ok(@exec, "$service: has ExecStart");
	for my $command (@exec) {
		my ($program) = split ' ', $command;
		ok(-x "$dest$program", "$service: $program installed")
		    or diag("not executable: $dest$program");
		unlike($command, qr/@\w+@/, "$service: no placeholder left in "
		    . "'$command'");
	}
}

my $sscnd = $units{'sscnd.service'}{sections}{Service};
is_deeply($sscnd->{KillMode}, ['mixed'],
    'sscnd.service: KillMode=mixed, so SIGTERM reaches the master only');
my ($stop_timeout) = @{ $sscnd->{TimeoutStopSec} // [0] };
cmp_ok($stop_timeout, '>', 30, 'sscnd.service: TimeoutStopSec above the '
    . 'default shutdown_timeout of 30 s');
is_deeply($units{'sscn-mail.service'}{sections}{Service}{Restart},
    ['on-failure'], 'sscn-mail.service: Restart=on-failure');

# ---- the timers -----------------------------------------------------------------

for my $name (@TIMERS) {
	my $timer = $units{"$name.timer"}{sections}{Timer} // {};
	ok(@{ $timer->{OnCalendar} // [] }, "$name.timer: OnCalendar set");
	is_deeply($timer->{Persistent}, ['yes'], "$name.timer: Persistent=yes");
	is_deeply($units{"$name.service"}{sections}{Service}{Type}, ['oneshot'],
	    "$name.service: Type=oneshot");
}

# ---- systemd-analyze ------------------------------------------------------------

SKIP: {
	my ($version) = run_cmd(['systemd-analyze', '--version'], timeout => 10);
	skip 'systemd-analyze not installed', 2 if $version == 127;

	# verify checks that each Exec program exists at its installed path,
	# so the installed programs are bound over that path in a mount
	# namespace of this test alone.
	my ($program) = split ' ',
	    $units{'sscnd.service'}{sections}{Service}{ExecStart}[0];
	(my $sbindir = $program) =~ s{/[^/]+$}{};
	my ($ns) = run_cmd(['unshare', '-m', 'true'], timeout => 10);
	skip 'unshare -m is not permitted here, so the installed programs '
	    . 'cannot be put at their paths for systemd-analyze verify', 2
	    if $ns != 0 || !-d $sbindir;
	my ($verify, $text) = run_cmd(['unshare', '-m', 'sh', '-c',
	    'mount --bind "$1" "$2" && shift 2 && exec systemd-analyze verify '
	    . '--man=no "$@"', 'verify', "$dest$sbindir", $sbindir,
	    map { "$unit_dir/$_" } @installed], timeout => 120);
	is($verify, 0, 'systemd-analyze verify: exit status 0') or diag($text);

	# An unknown key or an invalid value is only a warning, with exit 0.
	is($text, '', 'systemd-analyze verify: no warning');
}

SKIP: {
	my ($status, $text) = run_cmd(['systemd-analyze', 'security',
	    '--offline=yes', '--no-pager', "$unit_dir/sscnd.service"],
	    timeout => 60);
	my ($limit) = $text =~ /Overall exposure level for \S+: ([\d.]+)/;
	skip "systemd-analyze security --offline=yes did not rate sscnd.service: $text",
	    scalar @SERVICES unless defined $limit;
	for my $service (map { "$_.service" } @SERVICES) {
		($status, $text) = run_cmd(['systemd-analyze', 'security',
		    '--offline=yes', '--no-pager', "$unit_dir/$service"],
		    timeout => 60);
		my ($level) = $text =~ /Overall exposure level for \S+: ([\d.]+)/;
		ok(defined $level && $level <= $limit,
		    "$service: exposure " . ($level // 'unknown')
		    . " at most sscnd.service's $limit") or diag($text);
	}
}

done_testing();
