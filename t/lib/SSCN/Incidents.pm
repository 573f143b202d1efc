package SSCN::Incidents;

# Helpers of the breach register and audit search tests (t/34N_*.t): a
# platform admin with an MFA-verified session, and a valid incident body.

use v5.36;

use Exporter qw(import);
use Test::More;

use SSCN::Test;

our @EXPORT = qw(mfa_admin incident_body create_incident);

# Create a platform admin with `sscnctl create-admin`, set its password
# with the set-up link, enrol it in TOTP and return {email, password,
# secret, user_id, token}, where token belongs to an MFA-verified (aal2)
# session.  Dies when a step fails, so no test goes on without an admin.
sub mfa_admin () {
	my $admin = { email => unique_email('admin'),
	    password => strong_password() };
	my ($status, $out) = sscnctl('create-admin', $admin->{email}, '--name',
	    'Ines Warden');
	die "sscnctl create-admin failed: $out\n" if $status != 0;
	my ($setup) = $out =~ m{/reset-password#token=([A-Za-z0-9_-]+)}
	    or die "create-admin printed no set-up link\n";
	my $res = api('POST', '/api/v1/auth/password/reset',
	    json => { token => $setup, new_password => $admin->{password} });
	die "admin set-up: status $res->{status}\n" if $res->{status} != 204;

	# The first login is restricted to MFA enrolment; confirming TOTP
	# lifts the restriction and makes the session aal2.
	my $token = login_user($admin)->{json}{access_token}
	    or die "admin login returned no token\n";
	$res = api('POST', '/api/v1/auth/mfa/totp/setup', token => $token);
	my $secret = $res->{json}{secret} or die "totp/setup: no secret\n";
	$res = api('POST', '/api/v1/auth/mfa/totp/confirm', token => $token,
	    json => { code => totp_code($secret) });
	die "totp/confirm: status $res->{status}\n" if $res->{status} != 200;
	return { %$admin, secret => $secret, token => $token,
	    user_id => user_id_of($admin->{email}) };
}

# A valid POST /api/v1/admin/incidents body that became known HOURS ago
# (default 1), with the fields of OVERRIDES replacing or adding to it.
sub incident_body ($hours = 1, %overrides) {
	my @t = gmtime(time - $hours * 3600);
	my $aware = sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900,
	    $t[4] + 1, @t[3, 2, 1, 0]);
	return {
	    title => 'Supplier export readable by another organization',
	    severity => 'sev2',
	    became_aware_at => $aware,
	    description => "A misconfigured export let one buyer download\n"
		. 'another buyer\'s RFQ list for two hours.',
	    data_categories => ['contact details', 'business records'],
	    subject_categories => ['buyer users'],
	    approx_subjects => 40,
	    approx_records => 1200,
	    %overrides,
	};
}

# POST BODY to /api/v1/admin/incidents as ADMIN; returns the response.
sub create_incident ($admin, $body) {
	return api('POST', '/api/v1/admin/incidents', token => $admin->{token},
	    json => $body);
}

1;
