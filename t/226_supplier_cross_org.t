#!/usr/bin/perl
# Cross-organization profile edits through the API: another supplier's
# owner, a buyer's owner and a user without an organization get 404 for
# PUT /api/v1/suppliers/{org_id}/profile, exactly as for an unknown id,
# and the profile, its certifications and the audit log stay unchanged.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Suppliers;
use Test::More;

require_stack();

my $victim = org_user('supplier');
my $org = $victim->{org_id};
my $res = put_profile($victim, $org, { description => 'Original',
    regions => ['DE'], certifications => [{ scheme => 'ISO 9001:2015',
    certificate_no => 'V-1', issuer => 'Body', valid_from => '2024-01-01',
    valid_until => '2030-01-01' }] });
is($res->{status}, 200, 'victim saved its profile');
my $cert_id = $res->{json}{certifications}[0]{id};

my $rival = org_user('supplier');
my $buyer = org_user('buyer');
my $loner = org_user('supplier');
psql_value("DELETE FROM sscn.memberships WHERE user_id = '$loner->{user_id}'");

my $unknown = '00000000-0000-4000-8000-000000000000';
my $unknown_res = put_profile($rival, $unknown, { description => 'x' });
is_error_response($unknown_res, 404, 'not_found', 'put to an unknown id');

my $before = profile_row($org);
my $audit_before = count_rows('sscn.audit_log',
    "target = '$org' AND action LIKE 'supplier.%'");
my @bodies = (
	{ description => 'Hijacked' },
	{ certifications => [] },
	{ certifications => [{ id => $cert_id, scheme => 'ISO 9001:2015',
	    certificate_no => 'FAKE', issuer => 'Body',
	    valid_from => '2024-01-01', valid_until => '2030-01-01' }] },
	{ status => 'verified' },
);
for my $who ([$rival, "another supplier's owner"], [$buyer, "a buyer's owner"],
    [$loner, 'a user without organization']) {
	my ($account, $name) = @$who;
	for my $i (0 .. $#bodies) {
		$res = put_profile($account, $org, $bodies[$i]);
		my $err = is_error_response($res, 404, 'not_found',
		    "$name, body $i");
		is($err->{error}{message}, $unknown_res->{json}{error}{message},
		    "$name, body $i: same message as an unknown id");
	}
}
is(profile_row($org), $before, 'profile and certifications unchanged');
is(count_rows('sscn.audit_log', "target = '$org' AND action LIKE 'supplier.%'"),
    $audit_before, 'no audit row for the refused edits');

# The rival's session cannot reach the victim even with its own org id
# in the path and the victim's certification in the body.
$res = put_profile($rival, $rival->{org_id}, { certifications => [{
    id => $cert_id, scheme => 'ISO 9001:2015', certificate_no => 'FAKE',
    issuer => 'Body', valid_from => '2024-01-01',
    valid_until => '2030-01-01' }] });
is_error_response($res, 400, 'validation_failed',
    "rival names the victim's certification");
is(profile_row($org), $before, "victim's certification unchanged");

done_testing();
