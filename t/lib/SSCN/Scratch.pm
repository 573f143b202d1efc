package SSCN::Scratch;
# A configuration for tests that work on a scratch database of their own
# instead of the dev database: a copy of the dev sscn.conf whose database
# connections name the scratch database and whose sql_dir is a directory
# of the test.  Creating and dropping the database is the test's part.

use v5.36;
use Exporter 'import';
use SSCN::Test;

our @EXPORT = qw(scratch_conf);

# Point a libpq conninfo (keywords or URI) at database DB, and its passfile
# (if any) at PASSFILE.
sub retarget_conninfo ($conninfo, $db, $passfile) {
	if ($conninfo =~ m{^postgres(ql)?://}) {
		$conninfo =~ s{^(postgres(?:ql)?://[^/?]*)(/[^?]*)?}{$1/$db};
		$conninfo =~ s{([?&]passfile=)[^&]*}{$1$passfile} if $passfile;
		return $conninfo;
	}
	$conninfo =~ s/\bdbname\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/dbname=$db/
	    or $conninfo .= " dbname=$db";
	$conninfo =~ s/\bpassfile\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/passfile=$passfile/
	    if $passfile;
	return $conninfo;
}

# Write DIR/sscn.conf (mode 0600): the dev configuration with database,
# database_owner and database_maintenance connecting to database DB, with
# sql_dir set to SQL_DIR and every other KEY => VALUE of %SET replacing
# that key's line.  Returns its path, or undef when the dev configuration
# cannot be read.
sub scratch_conf ($db, $dir, $sql_dir, %set) {
	my $conf_path = "$DEV/sscn.conf";
	my $dev_conf = conf_read($conf_path) or return undef;

	# The dev passfile may name the database; a copy that matches any
	# database lets the roles log in to the scratch one.
	my $passfile;
	my ($dev_passfile) = ($dev_conf->{database_owner} // '')
	    =~ /passfile\s*=\s*'?([^'\s&]+)/;
	if ($dev_passfile && open(my $in, '<', $dev_passfile)) {
		$passfile = "$dir/pgpass";
		open(my $out, '>', $passfile) or die "write $passfile: $!";
		chmod 0600, $passfile;
		while (my $line = <$in>) {
			$line =~ s/^([^:]*:[^:]*:)[^:]*:/$1*:/ unless $line =~ /^#/;
			print $out $line;
		}
		close $out;
	}

	$set{sql_dir} = qq("$sql_dir");
	my $scratch_conf = "$dir/sscn.conf";
	open(my $src, '<', $conf_path) or die "read $conf_path: $!";
	open(my $dst, '>', $scratch_conf) or die "write $scratch_conf: $!";
	chmod 0600, $scratch_conf;
	while (my $line = <$src>) {
		if ($line =~ /^\s*(database|database_owner|database_maintenance)\s*=/) {
			my $key = $1;
			my $value = $dev_conf->{$key};
			$value = retarget_conninfo($value, $db, $passfile);
			$value =~ s/(["\\])/\\$1/g;
			$line = qq($key = "$value"\n);
		} elsif ($line =~ /^\s*(\w+)\s*=/ && exists $set{$1}) {
			next;
		}
		print $dst $line;
	}
	print $dst "$_ = $set{$_}\n" for sort keys %set;
	close $dst;
	return $scratch_conf;
}

1;
