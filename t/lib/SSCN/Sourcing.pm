package SSCN::Sourcing;

# Helpers that every test of the sourcing API (t/2NN_*.t) shares: a
# verified, logged-in account that owns an organization, a colleague in
# that organization, and SQL run as the runtime role with an
# organization's row-level security settings.

use v5.36;

use Exporter qw(import);
use Test::More;

use SSCN::Test;

our @EXPORT = qw(org_user colleague sql_as sql_as_refused sql_quote);

# Register and verify an account whose new organization is of KIND
# ('buyer' or 'supplier'), and log in.  Options: name (the
# organization's name; a unique one by default), country (set with SQL,
# as registration takes none).  Returns {user, token, user_id, org_id,
# org_name, org_kind, org_role}: the last four are also the settings
# that sql_as() takes.  Dies when a step fails, so that no test goes on
# with half an account.
sub org_user ($kind, %opt) {
	my $name = $opt{name} // ucfirst($kind) . ' ' . substr(random_id(), 0, 8);
	my $user = verified_user(organization_kind => $kind,
	    organization_name => $name)
	    or die "could not create a $kind account\n";
	my $user_id = user_id_of($user->{email});
	my $org_id = psql_value('SELECT organization_id FROM sscn.memberships '
	    . "WHERE user_id = '$user_id'");
	psql_value('UPDATE sscn.organizations SET country = '
	    . sql_quote($opt{country}) . " WHERE id = '$org_id'")
	    if defined $opt{country};
	my $token = login_user($user)->{token}
	    or die "could not log in the $kind account\n";
	return { user => $user, token => $token, user_id => $user_id,
	    org_id => $org_id, org_name => $name, org_kind => $kind,
	    org_role => 'owner' };
}

# A new verified account in the organization of ACCOUNT (an org_user())
# with ROLE ('admin' or 'member'), logged in, in org_user()'s form.  Its
# membership is moved with SQL before the first login, so that its
# session acts for that organization.
sub colleague ($account, $role) {
	my $user = verified_user(organization_kind => $account->{org_kind})
	    or die "could not create a colleague\n";
	my $user_id = user_id_of($user->{email});
	psql_value("UPDATE sscn.memberships SET organization_id = "
	    . "'$account->{org_id}', role = '$role' WHERE user_id = '$user_id'");
	my $token = login_user($user)->{token}
	    or die "could not log in the colleague\n";
	return { %$account, user => $user, token => $token,
	    user_id => $user_id, org_role => $role };
}

# psql's exit status and output for SQL run as the runtime role sscn_app
# with the settings of AS; see sql_as().
sub _runtime_psql ($as, $sql, %opt) {
	my $set = 'SELECT ' . join(', ', map {
	    "set_config('sscn.$_', " . sql_quote($as->{$_} // '')
	    . ', true)' } qw(user_id org_id org_role org_kind));
	my $end = $opt{rollback} ? 'ROLLBACK' : 'COMMIT';
	return dev_tool('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
	    '-c', "BEGIN; SET LOCAL ROLE sscn_app; $set; $sql; $end");
}

# Run SQL as the runtime role sscn_app with the row-level security
# settings of AS ({user_id, org_id, org_role, org_kind}, such as an
# org_user(); missing ones are empty), in a transaction that commits, so
# that a test sees what a refused write left, or with rollback => 1 in
# one that is rolled back.  Returns SQL's output without the settings'
# line, or undef when psql failed, for example because a policy rejected
# a row.
sub sql_as ($as, $sql, %opt) {
	my ($status, $out) = _runtime_psql($as, $sql, %opt);
	return undef if $status != 0;
	my @lines = split /\n/, $out;
	shift @lines;	# the settings' row
	return join "\n", @lines;
}

# sql_as() for SQL that row-level security must refuse: psql's error
# text, or '' when the SQL ran.
sub sql_as_refused ($as, $sql, %opt) {
	my ($status, $out) = _runtime_psql($as, $sql, %opt);
	return $status != 0 ? $out : '';
}

# TEXT as an SQL string literal.
sub sql_quote ($text) {
	return "'" . ($text =~ s/'/''/gr) . "'";
}

1;
