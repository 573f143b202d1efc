#!/usr/bin/perl
# The manual pages cannot drift from the programs: every key in the key
# table of src/conf.c has an entry in sscn.conf(5) and a line in
# sscn.conf.example, and every entry in sscn.conf(5)'s KEYS section is a
# key that conf.c accepts.  Every command and sub-command that "sscnctl
# -h" lists has an entry in sscnctl(8), and every entry there is a
# command that sscnctl lists.
#
# Needs only the source tree and $SSCN_BUILD/sscnctl, not the running
# stack.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

sub slurp ($path) {
	open(my $fh, '<', $path) or die "read $path: $!";
	local $/;
	return <$fh>;
}

# The text of section NAME (".Sh NAME") of an mdoc page, up to the next.
sub man_section ($text, $name) {
	my ($body) = $text =~ /^\.Sh \Q$name\E\n(.*?)(?=^\.Sh |\z)/ms;
	return $body // '';
}

# ---- sscn.conf(5) ----------------------------------------------------------------

my @keys = slurp("$ROOT/src/conf.c") =~ /^\s*\{ "(\w+)", CONF_\w+,/mg;
cmp_ok(scalar @keys, '>=', 80, 'src/conf.c: key table found ('
    . scalar(@keys) . ' keys)');

my $conf_keys = man_section(slurp("$ROOT/man/sscn.conf.5"), 'KEYS');
my %documented = map { $_ => 1 } $conf_keys =~ /^\.It Ic (\w+)/mg;
my $example = slurp("$ROOT/sscn.conf.example");

my @undocumented = grep { !$documented{$_} } @keys;
is_deeply(\@undocumented, [], 'sscn.conf(5) KEYS: an entry for every key')
    or diag("missing: @undocumented");
my @not_in_example = grep { $example !~ /^#?\Q$_\E\s*=/m } @keys;
is_deeply(\@not_in_example, [], 'sscn.conf.example: a line for every key')
    or diag("missing: @not_in_example");
my %accepted = map { $_ => 1 } @keys;
my @unknown = grep { !$accepted{$_} } sort keys %documented;
is_deeply(\@unknown, [], 'sscn.conf(5) KEYS: no entry for an unknown key')
    or diag("not in src/conf.c: @unknown");

# ---- sscnctl(8) ------------------------------------------------------------------

my $sscnctl = find_program('sscnctl');
SKIP: {
	skip "sscnctl not built in $BUILD", 3 unless $sscnctl;
	my ($status, $usage) = run_cmd([$sscnctl, '-h'], timeout => 30);
	is($status, 0, 'sscnctl -h: exit status 0') or diag($usage);

	# A command line of the usage is indented by two blanks (its
	# continuation lines by more), and its synopsis ends at two blanks
	# before the description.  Lower-case words after the command name,
	# up to the first option or argument, are sub-commands.
	my @commands;
	for my $line (split /\n/, $usage) {
		my ($synopsis) = $line =~ /^  (\S.*?)(?:\s{2,}|$)/ or next;
		my ($name, @words) = split ' ', $synopsis;
		my @subs;
		for my $word (@words) {
			next if $word eq '|';
			last unless $word =~ /^[a-z][a-z-]*$/;
			push @subs, $word;
		}
		push @commands, @subs ? map({ "$name $_" } @subs) : $name;
	}
	cmp_ok(scalar @commands, '>=', 15, 'sscnctl -h: commands found ('
	    . scalar(@commands) . ')');

	my $page = man_section(slurp("$ROOT/man/sscnctl.8"), 'DESCRIPTION');
	my %entries;
	for my $entry ($page =~ /^\.It Cm (.+)$/mg) {
		# ".It Cm keys rotate Oo Fl ..." names "keys rotate".
		my @words;
		for my $word (split ' ', $entry) {
			last unless $word =~ /^[a-z][a-z-]*$/;
			push @words, $word;
		}
		$entries{join ' ', @words} = 1;
	}
	my @missing = grep { !$entries{$_} } @commands;
	is_deeply(\@missing, [], 'sscnctl(8): an entry for every command')
	    or diag("missing: @missing");
	my %listed = map { $_ => 1 } @commands;
	my @stale = grep { !$listed{$_} } sort keys %entries;
	is_deeply(\@stale, [], 'sscnctl(8): no entry for an unknown command')
	    or diag("not in sscnctl -h: @stale");
}

done_testing();
