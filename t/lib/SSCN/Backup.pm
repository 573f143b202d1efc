package SSCN::Backup;
# Helpers of the backup tests: run sscnctl with a configuration whose
# backup_dir points at a directory of the test, read manifests and
# fingerprint the tables of a database.

use v5.36;
use Exporter 'import';
use File::Path ();
use JSON::PP;
use SSCN::Test;

our @EXPORT = qw(backup_conf sscnctl_with read_manifest table_fingerprints
    newest_backup);

# Write a copy of the dev configuration with backup_dir set to DIR and
# return its path.
sub backup_conf ($dir) {
	File::Path::make_path($dir);
	chmod 0700, $dir;
	my $conf = "$dir.conf";
	open(my $in, '<', "$DEV/sscn.conf") or die "$DEV/sscn.conf: $!";
	open(my $out, '>', $conf) or die "$conf: $!";
	while (my $line = <$in>) {
		$line = "backup_dir = $dir\n" if $line =~ /^backup_dir\s*=/;
		print $out $line;
	}
	close $out or die "$conf: $!";
	chmod 0600, $conf;
	return $conf;
}

# Run `sscnctl -c CONF ARGS`; returns (exit status, stdout and stderr).
sub sscnctl_with ($conf, @args) {
	my $program = find_program('sscnctl') or die 'sscnctl is not built';
	return run_cmd([$program, '-c', $conf, @args], timeout => 120);
}

sub read_manifest ($file) {
	open(my $fh, '<', "$file.json") or return undef;
	local $/;
	return eval { decode_json(<$fh>) };
}

# The newest backup file of DIR, or undef.
sub newest_backup ($dir) {
	my @files = sort glob("$dir/sscn-*.backup");
	return $files[-1];
}

# { table => "row count:md5 of the rows in text form" } for every table of
# schema sscn in database DBNAME.
sub table_fingerprints ($dbname) {
	my $tables = psql_value("SELECT string_agg(relname, ' ' ORDER BY "
	    . "relname) FROM pg_class WHERE relnamespace = 'sscn'::regnamespace "
	    . "AND relkind IN ('r', 'p')", '-d', $dbname) // return {};
	my @parts = map {
		"SELECT '$_', count(*) || ':' || md5(coalesce(string_agg(t::text, "
		    . "E'\\n' ORDER BY t::text), '')) FROM sscn.\"$_\" t"
	} split ' ', $tables;
	my $out = psql_value(join(' UNION ALL ', @parts), '-d', $dbname,
	    '-F', ' ') // return {};
	return { map { split ' ', $_, 2 } split /\n/, $out };
}

1;
