#!/usr/bin/perl
# Configuration check with `sscnd -n -c FILE`: the dev config passes; a copy
# that others can read, and copies with an unknown key, a repeated key or a
# line that is not "key = value", fail with the file, the line and the
# reason.  Copies live in a temporary directory.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use SSCN::Test;
use Test::More;

my $sscnd = find_program('sscnd');
plan skip_all => "sscnd not built in $BUILD" unless $sscnd;
my $conf_path = "$DEV/sscn.conf";
plan skip_all => "$conf_path not found; run tools/dev up" unless -f $conf_path;

sub check_conf ($path) {
	return run_cmd([$sscnd, '-n', '-c', $path], timeout => 30);
}

open(my $fh, '<', $conf_path) or die "read $conf_path: $!";
my @dev_lines = <$fh>;
close $fh;

my $dir = tempdir('sscn-t090-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# Write LINES to a file named NAME in the temporary directory with MODE.
sub write_conf ($name, $mode, @lines) {
	my $path = "$dir/$name";
	open(my $out, '>', $path) or die "write $path: $!";
	chmod $mode, $path or die "chmod $path: $!";
	print $out @lines;
	close $out;
	return $path;
}

# ---- valid --------------------------------------------------------------------

{
	my ($status, $out) = check_conf($conf_path);
	is($status, 0, 'dev config: accepted') or diag($out);

	my $copy = write_conf('copy.conf', 0600, @dev_lines);
	($status, $out) = check_conf($copy);
	is($status, 0, 'private copy: accepted') or diag($out);
}

# ---- readable by others -------------------------------------------------------

{
	my $path = write_conf('world.conf', 0644, @dev_lines);
	my ($status, $out) = check_conf($path);
	isnt($status, 0, 'world-readable copy: rejected');
	like($out, qr/\Q$path\E/, 'world-readable copy: message names the file');
	like($out, qr/readable|permission|mode|others/i,
	    'world-readable copy: message gives the reason') or diag($out);

	$path = write_conf('other-read.conf', 0604, @dev_lines);
	($status, $out) = check_conf($path);
	isnt($status, 0, 'other-readable copy, mode 0604: rejected') or diag($out);
}

# ---- bad lines ----------------------------------------------------------------

my @bad = (
	['unknown key', "no_such_key = 1\n", qr/unknown|no_such_key/i],
	['repeated key', "log_level = info\nlog_level = debug\n", qr/repeat|duplicate|twice|already/i],
	['line without =', "workers 4\n", qr/expected|invalid|syntax|=/i],
	['workers not a number', "workers = many\n", qr/invalid|number|integer/i],
	['unknown log_level', "log_level = loud\n", qr/invalid|unknown|level/i],
);
for my $case (@bad) {
	my ($name, $text, $reason) = @$case;

	# Drop the dev config's own lines for the keys the case sets, so the
	# case checks its own error and not a repeated key.
	my %case_keys = map { $_ => 1 } $text =~ /^\s*(\w+)\s*=/mg;
	my @lines = grep { !/^\s*(\w+)\s*=/ || !$case_keys{$1} } @dev_lines;
	$lines[-1] .= "\n" if @lines && $lines[-1] !~ /\n$/;

	# The expected line number is the last line of the appended text.
	my $line = @lines + ($text =~ tr/\n//);
	my $path = write_conf("bad-" . ($name =~ s/\W+/-/gr) . ".conf", 0600, @lines, $text);
	my ($status, $out) = check_conf($path);
	isnt($status, 0, "$name: rejected");
	like($out, qr/\Q$path\E:$line\b/, "$name: message gives file:$line")
	    or diag($out);
	like($out, $reason, "$name: message gives the reason");
}

done_testing();
