#!/usr/bin/perl
# Certifications, edited through "certifications" in the profile PUT: the
# list replaces the stored one (kept by id, added without id, deleted when
# left out).  A supplier can never set the status; a verified certificate
# becomes a claim again when its content changes, and reads as expired
# once valid_until has passed.  A document must be the organization's own
# certificate upload.

use v5.36;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Suppliers;
use Test::More;

require_stack();

my $owner = org_user('supplier');
my $org = $owner->{org_id};
my $other = org_user('supplier');

my $iso9001 = { scheme => 'ISO 9001:2015', certificate_no => 'Q-100',
    issuer => 'TÜV Süd', valid_from => '2024-01-01',
    valid_until => '2099-12-31' };
my $iso14001 = { scheme => 'ISO 14001', certificate_no => 'E-7',
    issuer => 'DNV', valid_from => '2020-01-01', valid_until => '2021-06-30' };

my $res = put_profile($owner, $org,
    { certifications => [$iso9001, $iso14001] });
my $body = is_json_ok($res, 200, 'put two certifications');
my %by_scheme = map { $_->{scheme} => $_ } @{ $body->{certifications} };
my $q = $by_scheme{'ISO 9001:2015'};
my $e = $by_scheme{'ISO 14001'};
ok($q && $e, 'both certifications answered');
like($q->{id} // '', qr/^[0-9a-f-]{36}$/, 'certification has an id');
is($q->{status}, 'claimed', 'new certification is claimed');
is($q->{issuer}, 'TÜV Süd', 'issuer kept');
is($q->{valid_until}, '2099-12-31', 'valid_until as a date');
is($e->{status}, 'expired', 'past valid_until reads as expired');
is(psql_value("SELECT status FROM sscn.certifications WHERE id = '$e->{id}'"),
    'claimed', 'expired is computed on read, not stored');
is(psql_value("SELECT created_by FROM sscn.certifications "
    . "WHERE id = '$q->{id}'"), $owner->{user_id}, 'created_by is the user');
my ($audit) = audit_rows(header($res, 'X-Request-ID'));
is_deeply($audit->{details}{fields}, ['certifications'],
    'audit: names certifications');
is($audit->{details}{certifications}{added}, 2, 'audit: counts added');

# An operator verifies the first one (there is no API for that yet).
psql_value("UPDATE sscn.certifications SET status = 'verified', "
    . "verified_at = now() WHERE id = '$q->{id}'");

# Resending the same content keeps the verification.
$res = put_profile($owner, $org, { certifications => [
    { %$iso9001, id => $q->{id} }, { %$iso14001, id => $e->{id} }] });
$body = is_json_ok($res, 200, 'resend unchanged certifications');
%by_scheme = map { $_->{scheme} => $_ } @{ $body->{certifications} };
is($by_scheme{'ISO 9001:2015'}{status}, 'verified',
    'unchanged certification stays verified');
ok(defined $by_scheme{'ISO 9001:2015'}{verified_at}, 'verified_at shown');
($audit) = audit_rows(header($res, 'X-Request-ID'));
is_deeply($audit->{details}{fields}, [], 'audit: nothing changed');

# Changing the number makes it a claim again; leaving one out deletes it.
$res = put_profile($owner, $org, { certifications => [
    { %$iso9001, id => uc $q->{id}, certificate_no => 'Q-101' }] });
$body = is_json_ok($res, 200, 'change a verified certification');
is(scalar @{ $body->{certifications} }, 1, 'left-out certification deleted');
is($body->{certifications}[0]{id}, $q->{id}, 'certification keeps its id');
is($body->{certifications}[0]{certificate_no}, 'Q-101', 'new number stored');
is($body->{certifications}[0]{status}, 'claimed',
    'changed certification is a claim again');
ok(!defined $body->{certifications}[0]{verified_at},
    'verified_at cleared');
is(count_rows('sscn.certifications', "id = '$e->{id}'"), 0,
    'deleted row is gone');

# A profile PUT without "certifications" leaves them alone.
$res = put_profile($owner, $org, { regions => ['DE'] });
is(scalar @{ $res->{json}{certifications} // [] }, 1,
    'put without certifications keeps them');

# ---- validation -------------------------------------------------------------

my $stranger_cert = psql_value('INSERT INTO sscn.supplier_profiles '
    . "(organization_id) VALUES ('$other->{org_id}'); "
    . 'INSERT INTO sscn.certifications (id, organization_id, scheme, '
    . 'certificate_no, issuer, valid_from, valid_until) VALUES '
    . "(gen_random_uuid(), '$other->{org_id}', 'ISO 9001:2015', 'X', "
    . "'Y', '2024-01-01', '2030-01-01') RETURNING id");
my $other_doc = psql_value('INSERT INTO sscn.documents (id, '
    . 'organization_id, purpose, owner_id, filename, content_type) VALUES '
    . "(gen_random_uuid(), '$other->{org_id}', 'certificate', "
    . "'$other->{org_id}', 'c.pdf', 'application/pdf') RETURNING id");
my $own_attachment = psql_value('INSERT INTO sscn.documents (id, '
    . 'organization_id, purpose, owner_id, filename, content_type) VALUES '
    . "(gen_random_uuid(), '$org', 'rfq_attachment', '$org', 'a.pdf', "
    . "'application/pdf') RETURNING id");
my $own_doc = psql_value('INSERT INTO sscn.documents (id, '
    . 'organization_id, purpose, owner_id, filename, content_type) VALUES '
    . "(gen_random_uuid(), '$org', 'certificate', '$org', 'q.pdf', "
    . "'application/pdf') RETURNING id");

my @bad = (
	[{ %$iso9001, status => 'verified' }, 'status', 'status in the body'],
	[{ %$iso9001, verified_by => $owner->{user_id} }, 'verified_by',
	    'verified_by in the body'],
	[{ %$iso9001, organization_id => $other->{org_id} }, 'organization_id',
	    'organization_id in the body'],
	[{ %$iso9001, valid_until => '2023-12-31' }, 'valid_until',
	    'valid_until before valid_from'],
	[{ %$iso9001, valid_from => '2024-02-30' }, 'valid_from',
	    'impossible date'],
	[{ %$iso9001, valid_from => '24-01-01' }, 'valid_from',
	    'short year'],
	[{ %$iso9001, valid_until => undef }, 'valid_until',
	    'missing valid_until'],
	[{ %$iso9001, scheme => '' }, 'scheme', 'empty scheme'],
	[{ %$iso9001, issuer => 'x' x 201 }, 'issuer', 'issuer too long'],
	[{ %$iso9001, certificate_no => "A\nB" }, 'certificate_no',
	    'newline in the number'],
	[{ %$iso9001, id => 'nope' }, 'id', 'malformed id'],
	[{ %$iso9001, id => '00000000-0000-4000-8000-000000000000' }, 'id',
	    'unknown id'],
	[{ %$iso9001, id => $stranger_cert }, 'id',
	    "another organization's certification"],
	[{ %$iso9001, document_id => $other_doc }, 'document_id',
	    "another organization's document"],
	[{ %$iso9001, document_id => $own_attachment }, 'document_id',
	    'document that is not a certificate'],
	[{ %$iso9001, document_id => 'x' }, 'document_id',
	    'malformed document id'],
);
my $before = profile_row($org);
my $stranger_before = profile_row($other->{org_id});
for my $case (@bad) {
	my ($cert, $field, $name) = @$case;
	$res = put_profile($owner, $org, { certifications => [$cert] });
	my $err = is_error_response($res, 400, 'validation_failed', $name);
	ok(exists $err->{error}{fields}{"certifications[0].$field"},
	    "$name: names certifications[0].$field")
	    or diag(explain($err->{error}{fields}));
}
$res = put_profile($owner, $org,
    { certifications => [map { {%$iso9001} } 1 .. 51] });
is_error_response($res, 400, 'validation_failed', 'more than 50');
$res = put_profile($owner, $org, { certifications => [
    { %$iso9001, id => $q->{id} }, { %$iso9001, id => $q->{id} }] });
my $err = is_error_response($res, 400, 'validation_failed', 'repeated id');
ok(exists $err->{error}{fields}{'certifications[1].id'},
    'repeated id: names the second entry');
is(profile_row($org), $before, 'refused certifications changed nothing');
is(profile_row($other->{org_id}), $stranger_before,
    "the other organization's certification is unchanged");

# The organization's own certificate document is accepted.
$res = put_profile($owner, $org, { certifications => [
    { %$iso9001, id => $q->{id}, document_id => $own_doc }] });
$body = is_json_ok($res, 200, 'own certificate document');
is($body->{certifications}[0]{document_id}, $own_doc, 'document_id stored');

# ---- the runtime role cannot write the status -------------------------------

my %settings = (user_id => $owner->{user_id}, org_id => $org,
    org_role => 'owner', org_kind => 'supplier');
my $ok = defined sql_as(\%settings, "UPDATE sscn.certifications SET status = "
    . "'verified' WHERE id = '$q->{id}'", rollback => 1);
ok(!$ok, 'runtime role: UPDATE of status is denied');
$ok = defined sql_as(\%settings, 'INSERT INTO sscn.certifications (id, '
    . 'organization_id, scheme, certificate_no, issuer, valid_from, '
    . "valid_until, status) VALUES (gen_random_uuid(), '$org', 'S', 'N', "
    . "'I', '2024-01-01', '2025-01-01', 'verified')", rollback => 1);
ok(!$ok, 'runtime role: INSERT with a status is denied');
is(psql_value("SELECT status FROM sscn.certifications WHERE id = '$q->{id}'"),
    'claimed', 'status unchanged');

done_testing();
