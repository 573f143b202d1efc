package SSCN::Crypt;

# Helpers for the field encryption tests (t/30N_*.t): the accounts of
# tools/demo-data, a pg_dump of the dev database, and "sscnctl keys status"
# parsed into counts.

use v5.36;

use Exporter qw(import);
use Test::More;

use SSCN::Test;

our @EXPORT = qw(
    demo_people pg_dump_text keys_status field_versions
);

# The e-mail addresses and person names that tools/demo-data registers,
# read from the script so that the tests follow it.
sub demo_people () {
	open(my $fh, '<', "$ROOT/tools/demo-data") or return ();
	local $/;
	my $text = <$fh>;
	my @emails = $text =~ /email => '([^']+\@demo\.example\.test)'/g;
	my @names = $text =~ /person => '([^']+)'/g;
	return (\@emails, \@names);
}

# The whole dev database as "tools/dev pg_dump" writes it (plain SQL),
# or undef with a diagnostic.
sub pg_dump_text () {
	my ($status, $out) = dev_tool('pg_dump', { timeout => 120 });
	if ($status != 0) {
		diag("tools/dev pg_dump failed (exit $status): "
		    . substr($out, 0, 300));
		return undef;
	}
	return $out;
}

# "sscnctl keys status" as { "table.column" => { version => rows } }, or
# undef with a diagnostic.
sub keys_status () {
	my ($status, $out) = sscnctl('keys', 'status');
	if ($status != 0) {
		diag("sscnctl keys status failed (exit $status): $out");
		return undef;
	}
	my %counts;
	for my $line (split /\n/, $out) {
		my ($table, $column, $version, $rows) = split ' ', $line;
		next unless defined $rows && $rows =~ /^\d+$/;
		$counts{"$table.$column"}{$version} = $rows;
	}
	return \%counts;
}

# The "field" key versions in the dev key file, ascending.
sub field_versions () {
	open(my $fh, '<', "$DEV/keys") or return ();
	my @versions;
	while (my $line = <$fh>) {
		$line =~ s/#.*//;
		my ($purpose, $version) = split ' ', $line;
		push @versions, $version if ($purpose // '') eq 'field';
	}
	return sort { $a <=> $b } @versions;
}

1;
