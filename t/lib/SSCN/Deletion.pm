package SSCN::Deletion;

# Helpers for the account deletion and purge tests (t/36N_*.t): the
# deletion request, MFA enrolment, sscnctl purge and the audit chain check
# of sscn-security(7).

use v5.36;

use Exporter qw(import);
use Test::More;

use SSCN::Test;

our @EXPORT = qw(
    delete_account cancel_deletion enrol_mfa purge audit_chain_breaks
    user_column open_sessions
);

# POST /api/v1/data/delete-account with TOKEN and the body BODY.
sub delete_account ($token, $body) {
	return api('POST', '/api/v1/data/delete-account', token => $token,
	    json => $body);
}

# POST /api/v1/data/delete-account/cancel with TOKEN.
sub cancel_deletion ($token) {
	return api('POST', '/api/v1/data/delete-account/cancel',
	    token => $token);
}

# Turn MFA on for the session TOKEN; returns the base32 secret or undef.
sub enrol_mfa ($token) {
	my $res = api('POST', '/api/v1/auth/mfa/totp/setup', token => $token);
	my $secret = ref $res->{json} eq 'HASH' ? $res->{json}{secret} : undef;
	return undef unless defined $secret;
	$res = api('POST', '/api/v1/auth/mfa/totp/confirm', token => $token,
	    json => { code => totp_code($secret) });
	return ($res->{status} // 0) == 200 ? $secret : undef;
}

# Run sscnctl purge with ARGS; returns (exit status, output, {category =>
# count}) parsed from the output lines "category [would remove ]N".
sub purge (@args) {
	my ($status, $out) = sscnctl('purge', @args);
	my %counts;
	while ($out =~ /^(\w+)\s+(?:would remove )?(\d+)/mg) {
		$counts{$1} = $2;
	}
	return ($status, $out, \%counts);
}

# Ids of audit rows whose hash or link to the previous row is wrong: the
# check of sscn-security(7), where the oldest row may also link to a row
# that a retention anchor records as removed.  Empty when the chain
# verifies.
sub audit_chain_breaks () {
	return psql_value("SELECT coalesce(string_agg(id::text, ','), '') "
	    . 'FROM (' . audit_chain_query() . ') breaks');
}

# Column COLUMN of the account USER_ID as text ('' for NULL).
sub user_column ($user_id, $column) {
	die "bad column $column" unless $column =~ /^\w+$/;
	return psql_value("SELECT coalesce(${column}::text, '') FROM sscn.users "
	    . "WHERE id = '$user_id'");
}

# Number of sessions of USER_ID that are not revoked.
sub open_sessions ($user_id) {
	return psql_value('SELECT count(*) FROM sscn.sessions '
	    . "WHERE user_id = '$user_id' AND revoked_at IS NULL");
}

1;
