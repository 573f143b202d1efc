package SSCN::Suppliers;

# Helpers for the tests of categories, supplier profiles, certifications
# and the supplier directory (t/22N_*.t): profiles and their stored
# rows.  Accounts come from SSCN::Sourcing.

use v5.36;

use Exporter qw(import);
use SSCN::Test;
use Test::More;

our @EXPORT = qw(
    put_profile profile_row count_rows
);

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

1;
