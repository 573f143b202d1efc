#!/usr/bin/perl
# Supplier profiles: PUT /api/v1/suppliers/{org_id}/profile by an owner or
# admin of the supplier organization, field by field validation with
# nothing stored on a 400, partial updates that keep the fields left out,
# the audit row naming the changed fields, and GET /api/v1/suppliers/{id}
# for any logged-in user.

use v5.36;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Suppliers;
use Test::More;

require_stack();

my $owner = org_user('supplier', country => 'DE');
my $org = $owner->{org_id};
my $buyer = org_user('buyer', country => 'FR');

# ---- GET before any profile -------------------------------------------------

my $res = api('GET', "/api/v1/suppliers/$org", token => $buyer->{token});
my $body = is_json_ok($res, 200, 'supplier without profile');
is($body->{id}, $org, 'supplier without profile: id');
is($body->{country}, 'DE', 'supplier without profile: country');
is($body->{description_md}, '', 'supplier without profile: no description');
is_deeply($body->{categories}, [], 'supplier without profile: no categories');
is_deeply($body->{certifications}, [],
    'supplier without profile: no certifications');
ok(exists $body->{updated_at} && !defined $body->{updated_at},
    'supplier without profile: updated_at null');

# ---- a full PUT -----------------------------------------------------------------

my $full = {
	description => "We mill **aluminium** parts.\n\n- 5-axis\n- anodising",
	categories => ['metal-machining', 'logistics'],
	regions => ['DE', 'AT', 'CH'],
	capacities => [{ category => 'metal-machining', quantity => 5000,
	    unit => 'pieces', per => 'month' }],
	identifiers => [{ scheme => 'VAT', id => 'DE123456789' },
	    { scheme => 'LEI', id => '5493001KJTIIGC8Y1R12' }],
	website => 'https://mill.example/about?x=1',
};
$res = put_profile($owner, $org, $full);
$body = is_json_ok($res, 200, 'owner puts the profile');
is($body->{id}, $org, 'put: answers the profile');
is($body->{description_md}, $full->{description}, 'put: Markdown source kept');
like($body->{description_html}, qr{<strong>aluminium</strong>},
    'put: Markdown rendered');
like($body->{description_html}, qr{<li>5-axis</li>}, 'put: list rendered');
is_deeply([map { $_->{code} } @{ $body->{categories} }],
    ['metal-machining', 'logistics'], 'put: category codes in list order');
like($body->{categories}[0]{name} // '', qr/machining/i,
    'put: categories carry names');
is_deeply($body->{regions}, ['DE', 'AT', 'CH'], 'put: regions');
is_deeply($body->{capacities}, $full->{capacities}, 'put: capacities');
is_deeply($body->{identifiers}, $full->{identifiers}, 'put: identifiers');
is($body->{website}, $full->{website}, 'put: website');
like($body->{updated_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'put: updated_at in RFC 3339 UTC');

my ($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'supplier.profile_create', 'audit: profile created');
is($audit->{target}, $org, 'audit: target is the organization');
is($audit->{organization_id}, $org, 'audit: organization');
is_deeply([sort @{ $audit->{details}{fields} // [] }],
    [sort qw(description categories regions capacities identifiers website)],
    'audit: names every field written');
unlike(join(' ', values %{ $audit->{details} }), qr/aluminium|DE123456789/,
    'audit: no values');

# GET shows the same to another organization's user.
$res = api('GET', "/api/v1/suppliers/$org", token => $buyer->{token});
my $seen = is_json_ok($res, 200, 'buyer reads the supplier');
is($seen->{description_html}, $body->{description_html},
    'get: same HTML as the PUT answer');
is_deeply($seen->{identifiers}, $full->{identifiers}, 'get: identifiers');
is(api('GET', "/api/v1/suppliers/\U$org", token => $buyer->{token})
    ->{status}, 200, 'get: upper-case id accepted');

# ---- partial update --------------------------------------------------------

$res = put_profile($owner, $org, { regions => ['DE'], website => '' });
$body = is_json_ok($res, 200, 'partial put');
is_deeply($body->{regions}, ['DE'], 'partial put: regions replaced');
ok(!defined $body->{website}, 'partial put: empty website removes it');
is($body->{description_md}, $full->{description},
    'partial put: description kept');
is_deeply($body->{identifiers}, $full->{identifiers},
    'partial put: identifiers kept');
($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'supplier.profile_update', 'audit: profile updated');
is_deeply([sort @{ $audit->{details}{fields} // [] }], [qw(regions website)],
    'audit: names only the changed fields');

$res = put_profile($owner, $org, { regions => ['DE'] });
($audit) = audit_rows(header($res, 'X-Request-ID'));
is_deeply($audit->{details}{fields}, [], 'audit: unchanged value not named');

$res = put_profile($owner, $org, { website => undef });
is($res->{status}, 200, 'null website accepted');

# ---- validation: 400 and nothing stored --------------------------------------

my @bad = (
	[{ status => 'verified' }, 'status', 'server-owned field'],
	[{ organization_id => $buyer->{org_id} }, 'organization_id',
	    'organization_id'],
	[{ id => $org }, 'id', 'id'],
	[{ description => 'x' x 20001 }, 'description', 'description too long'],
	[{ description => "bell\x07" }, 'description', 'control character'],
	[{ description => 42 }, 'description', 'description not a string'],
	[{ categories => 'logistics' }, 'categories', 'categories not an array'],
	[{ categories => ['no-such-category'] }, 'categories[0]',
	    'unknown category'],
	[{ categories => ['logistics', 'logistics'] }, 'categories[1]',
	    'duplicate category'],
	[{ categories => [map { 'logistics' } 1 .. 21] }, 'categories',
	    'more than 20 categories'],
	[{ regions => ['XX'] }, 'regions[0]', 'unknown region'],
	[{ regions => ['de'] }, 'regions[0]', 'lower-case region'],
	[{ regions => [map { 'DE' } 1 .. 51] }, 'regions', 'more than 50 regions'],
	[{ capacities => [{ category => 'logistics', quantity => 0,
	    unit => 't', per => 'month' }] }, 'capacities[0].quantity',
	    'zero quantity'],
	[{ capacities => [{ category => 'logistics', quantity => -5,
	    unit => 't', per => 'month' }] }, 'capacities[0].quantity',
	    'negative quantity'],
	[{ capacities => [{ category => 'logistics', quantity => '5',
	    unit => 't', per => 'month' }] }, 'capacities[0].quantity',
	    'quantity as a string'],
	[{ capacities => [{ category => 'logistics', quantity => 5,
	    unit => 't', per => 'day' }] }, 'capacities[0].per', 'per day'],
	[{ capacities => [{ category => 'nope', quantity => 5,
	    unit => 't', per => 'week' }] }, 'capacities[0].category',
	    'capacity category unknown'],
	[{ capacities => [{ category => 'logistics', quantity => 5,
	    unit => '', per => 'week' }] }, 'capacities[0].unit', 'empty unit'],
	[{ capacities => [{ category => 'logistics', quantity => 5,
	    unit => 't', per => 'week', price => 1 }] }, 'capacities[0].price',
	    'unknown capacity field'],
	[{ capacities => ['5 t'] }, 'capacities[0]', 'capacity not an object'],
	[{ identifiers => [{ scheme => 'SSN', id => '123' }] },
	    'identifiers[0].scheme', 'scheme off the allow-list'],
	[{ identifiers => [{ scheme => 'DUNS', id => '12345' }] },
	    'identifiers[0].id', 'short DUNS'],
	[{ identifiers => [{ scheme => 'LEI', id => '5493001KJTIIGC8Y1R13' }] },
	    'identifiers[0].id', 'LEI with wrong check digits'],
	[{ identifiers => [{ scheme => 'VAT', id => 'DE 123' }] },
	    'identifiers[0].id', 'VAT with a space'],
	[{ identifiers => [{ scheme => 'DUNS', id => '123456789' },
	    { scheme => 'DUNS', id => '123456789' }] }, 'identifiers[1]',
	    'duplicate identifier'],
	[{ website => 'http://mill.example' }, 'website', 'plain http website'],
	[{ website => 'javascript:alert(1)' }, 'website', 'javascript website'],
	[{ website => 'https://good.example@evil.example/' }, 'website',
	    'website with user name'],
	[{ website => 'https://' }, 'website', 'website without host'],
	[{ website => "https://mill.example/a b" }, 'website',
	    'website with a space'],
	[{ certifications => {} }, 'certifications',
	    'certifications not an array'],
);
my $before = profile_row($org);
for my $case (@bad) {
	my ($json, $field, $name) = @$case;
	$res = put_profile($owner, $org, $json);
	my $err = is_error_response($res, 400, 'validation_failed', $name);
	ok(exists $err->{error}{fields}{$field}, "$name: names $field")
	    or diag(explain($err->{error}{fields}));
}
is(profile_row($org), $before, 'refused bodies changed nothing');

$res = put_profile($owner, $org, '[1, 2]');
is_error_response($res, 400, 'validation_failed', 'array body');
$res = put_profile($owner, $org, '{"regions": ');
is($res->{status}, 400, 'malformed JSON body: 400');
is(profile_row($org), $before, 'malformed bodies changed nothing');

# ---- roles and organizations ---------------------------------------------------

my $admin = colleague($owner, 'admin');
$res = put_profile($admin, $org, { regions => ['AT'] });
is($res->{status}, 200, 'admin of the supplier may put');

my $member = colleague($owner, 'member');
$before = profile_row($org);
$res = put_profile($member, $org, { regions => ['CH'] });
is_error_response($res, 403, 'forbidden', 'member put');
is(profile_row($org), $before, 'member put: nothing changed');
$res = api('GET', "/api/v1/suppliers/$org", token => $member->{token});
is($res->{status}, 200, 'member may read the profile');

$res = put_profile($buyer, $buyer->{org_id}, { regions => ['FR'] });
is_error_response($res, 404, 'not_found', 'buyer puts its own organization');
is(count_rows('sscn.supplier_profiles',
    "organization_id = '$buyer->{org_id}'"), 0,
    'buyer put: no profile created');

$res = api('GET', "/api/v1/suppliers/$buyer->{org_id}",
    token => $owner->{token});
is_error_response($res, 404, 'not_found', 'get of a buyer organization');
$res = api('GET', '/api/v1/suppliers/00000000-0000-4000-8000-000000000000',
    token => $owner->{token});
is_error_response($res, 404, 'not_found', 'get of an unknown organization');
$res = api('GET', '/api/v1/suppliers/not-a-uuid', token => $owner->{token});
is_error_response($res, 404, 'not_found', 'get with a malformed id');
$res = put_profile($owner, 'not-a-uuid', { regions => ['DE'] });
is_error_response($res, 404, 'not_found', 'put with a malformed id');

$res = api('GET', "/api/v1/suppliers/$org");
is_error_response($res, 401, 'unauthorized', 'get without login');
$res = api('PUT', "/api/v1/suppliers/$org/profile", json => {});
is_error_response($res, 401, 'unauthorized', 'put without login');

done_testing();
