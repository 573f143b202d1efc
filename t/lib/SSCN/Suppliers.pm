package SSCN::Suppliers;

# Helpers for the tests of categories, supplier profiles, certifications
# and the supplier directory (t/22N_*.t).  Accounts are registered through
# the API like a user would; memberships in another role, documents and
# organization countries, which other parts of the API manage, are set up
# with SQL as the superuser.

use v5.36;

use Exporter qw(import);
use SSCN::Test;
use Test::More;

our @EXPORT = qw(
    org_account member_account put_profile profile_row count_rows
    sql_quote rls_as
);

# Register and verify an account whose new organization is of KIND
# ("supplier" or "buyer"), log in, and return {user, token, user_id,
# org_id}; the organization gets the name NAME and the country COUNTRY
# when given.  BAIL_OUT when a step fails, since every later test needs it.
sub org_account ($kind, %opt) {
	my $name = $opt{name} // "T $kind " . substr(random_id(), 0, 8);
	my $user = verified_user(organization_kind => $kind,
	    organization_name => $name)
	    or BAIL_OUT("could not create a $kind account");
	my $user_id = user_id_of($user->{email});
	my $org_id = psql_value("SELECT organization_id FROM sscn.memberships "
	    . "WHERE user_id = '$user_id'");
	if (defined $opt{country}) {
		psql_value("UPDATE sscn.organizations SET country = "
		    . sql_quote($opt{country}) . " WHERE id = '$org_id'");
	}
	my $login = login_user($user);
	BAIL_OUT("could not log in as the $kind account")
	    unless $login->{token};
	return { user => $user, token => $login->{token},
	    user_id => $user_id, org_id => $org_id };
}

# An account that belongs to organization ORG_ID with ROLE instead of its
# own organization: registered, then its membership moved with SQL before
# the first login, so its session acts for ORG_ID.
sub member_account ($org_id, $role) {
	my $user = verified_user(organization_kind => 'supplier')
	    or BAIL_OUT('could not create a member account');
	my $user_id = user_id_of($user->{email});
	psql_value("UPDATE sscn.memberships SET organization_id = '$org_id', "
	    . "role = '$role' WHERE user_id = '$user_id'");
	my $login = login_user($user);
	BAIL_OUT('could not log in as the member') unless $login->{token};
	return { user => $user, token => $login->{token},
	    user_id => $user_id, org_id => $org_id };
}

# PUT BODY (a hash reference or raw JSON text) as the profile of ORG_ID
# with the token of ACCOUNT.
sub put_profile ($account, $org_id, $body) {
	return api('PUT', "/api/v1/suppliers/$org_id/profile",
	    token => $account->{token}, json => $body);
}

# The stored profile of ORG_ID as one text line, to compare before and
# after a refused request; '' when there is none.
sub profile_row ($org_id) {
	return psql_value("SELECT coalesce((SELECT row(p.*)::text "
	    . "FROM sscn.supplier_profiles p WHERE organization_id = '$org_id'), "
	    . "'') || coalesce((SELECT string_agg(row(c.*)::text, ';' "
	    . "ORDER BY c.id) FROM sscn.certifications c "
	    . "WHERE organization_id = '$org_id'), '')");
}

# The number of rows of TABLE matching the SQL condition WHERE.
sub count_rows ($table, $where) {
	return psql_value("SELECT count(*) FROM $table WHERE $where");
}

# TEXT as an SQL string literal.
sub sql_quote ($text) {
	return "'" . ($text =~ s/'/''/gr) . "'";
}

# Run SQL as the runtime role sscn_app with the row-level security
# settings of SETTINGS ({user_id, org_id, org_role, org_kind}; missing
# ones are empty) in a transaction that is rolled back.  Returns
# (ok, output): ok is false when psql failed, for example because a
# policy rejected a row; output is without the settings' own line.
sub rls_as ($settings, $sql) {
	my $set = 'SELECT ' . join(', ', map {
	    "set_config('sscn.$_', " . sql_quote($settings->{$_} // '')
	    . ', true)' } qw(user_id org_id org_role org_kind));
	my ($status, $out) = dev_tool('psql', '-X', '-q', '-A', '-t',
	    '-v', 'ON_ERROR_STOP=1', '-c',
	    "BEGIN; SET LOCAL ROLE sscn_app; $set; $sql; ROLLBACK");
	return (0, $out) if $status != 0;
	my @lines = split /\n/, $out;
	shift @lines;
	return (1, join("\n", @lines));
}

1;
