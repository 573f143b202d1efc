#!/usr/bin/perl
# Who reaches an RFQ: another buyer gets 404 for every verb and changes
# nothing; a supplier sees public RFQs and those it is invited to, never
# drafts, and cannot change any; mass assignment through PATCH is
# rejected and leaves the row as it was.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP ();
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Rfqs;
use Test::More;

require_stack();

my $buyer = org_user('buyer');
my $rival = org_user('buyer');
my $invited = org_user('supplier');
my $outsider = org_user('supplier');

my $draft = create_rfq($buyer);
my $private = publish_rfq($buyer, create_rfq($buyer, visibility => 'invited'),
    $invited);
my $public = publish_rfq($buyer, create_rfq($buyer));

# The columns that must not move when a request is refused.
sub snapshot ($id) {
	return psql_value("SELECT concat_ws('|', status, title, version, "
	    . "description_md, quantity, cancel_reason, buyer_org_id, "
	    . "(SELECT count(*) FROM sscn.rfq_invitations WHERE rfq_id = r.id)) "
	    . "FROM sscn.rfqs r WHERE id = '$id'");
}

# Every verb on an RFQ, with a body where it takes one.
my @verbs = (
    ['GET', '', undef],
    ['PATCH', '', { description => 'changed' }],
    ['POST', '/publish', undef],
    ['POST', '/close', undef],
    ['POST', '/cancel', { reason => 'not yours' }],
    ['POST', '/invitations', { supplier_org_ids => [$outsider->{org_id}] }],
    ['GET', '/invitations', undef],
    ['GET', '/nda/acceptances', undef],
);

# ---- another buyer -------------------------------------------------------------

for my $rfq ($draft, $private, $public) {
	my $before = snapshot($rfq->{id});
	for my $verb (@verbs) {
		my ($method, $suffix, $body) = @$verb;
		my $res = api($method, "/api/v1/rfqs/$rfq->{id}$suffix",
		    token => $rival->{token}, defined $body ? (json => $body) : ());
		is_error_response($res, 404, 'not_found',
		    "rival $method $suffix ($rfq->{status})");
	}
	is(snapshot($rfq->{id}), $before,
	    "rival ($rfq->{status}): nothing changed");
}

# ---- suppliers ---------------------------------------------------------------------

is(api('GET', "/api/v1/rfqs/$draft->{id}", token => $invited->{token})->{status},
    404, 'supplier: draft 404');
is(api('GET', "/api/v1/rfqs/$private->{id}",
    token => $outsider->{token})->{status}, 404,
    'supplier: invited RFQ of others 404');
is(api('GET', "/api/v1/rfqs/$private->{id}",
    token => $invited->{token})->{status}, 200,
    'supplier: invited RFQ 200');
is(api('GET', "/api/v1/rfqs/$public->{id}",
    token => $outsider->{token})->{status}, 200,
    'supplier: public RFQ 200');
is(api('POST', "/api/v1/rfqs/$private->{id}/nda/accept",
    token => $outsider->{token}, json => { version => '2026-01' })->{status},
    404, 'supplier: NDA of an unseen RFQ 404');

my @outsider_ids = map { $_->{id} } @{ api('GET', '/api/v1/rfqs?limit=100',
    token => $outsider->{token})->{json}{items} // [] };
ok((grep { $_ eq $public->{id} } @outsider_ids),
    'supplier list: public RFQ listed');
ok(!(grep { $_ eq $private->{id} || $_ eq $draft->{id} } @outsider_ids),
    'supplier list: no draft, no foreign invitation');
my @invited_ids = map { $_->{id} } @{ api('GET', '/api/v1/rfqs?mine=true'
    . '&limit=100', token => $invited->{token})->{json}{items} // [] };
is_deeply(\@invited_ids, [$private->{id}], 'supplier ?mine=true: invitations');

for my $rfq ($private, $public) {
	my $before = snapshot($rfq->{id});
	for my $verb (grep { $_->[0] ne 'GET' } @verbs) {
		my ($method, $suffix, $body) = @$verb;
		my $res = api($method, "/api/v1/rfqs/$rfq->{id}$suffix",
		    token => $invited->{token}, defined $body ? (json => $body) : ());
		ok($res->{status} == 404 || $res->{status} == 403,
		    "supplier $method $suffix: 404 or 403")
		    or diag("status $res->{status}");
	}
	for my $suffix ('/invitations', '/nda/acceptances') {
		is(api('GET', "/api/v1/rfqs/$rfq->{id}$suffix",
		    token => $invited->{token})->{status}, 404,
		    "supplier GET $suffix: 404");
	}
	is(snapshot($rfq->{id}), $before, 'supplier: nothing changed');
}

# A buyer cannot invite a buyer organization.
my $res = api('POST', "/api/v1/rfqs/$draft->{id}/invitations",
    token => $buyer->{token}, json => { supplier_org_ids => [$rival->{org_id}] });
my $err = is_error_response($res, 400, 'validation_failed', 'invite a buyer');
like($err->{error}{fields}{supplier_org_ids} // '', qr/\Q$rival->{org_id}\E/,
    'invite a buyer: names the id');
$res = api('POST', "/api/v1/rfqs/$draft->{id}/invitations",
    token => $buyer->{token}, json => { supplier_org_ids => ['not-a-uuid'] });
is_error_response($res, 400, 'validation_failed', 'invite a non-UUID');
is(psql_value('SELECT count(*) FROM sscn.rfq_invitations '
    . "WHERE rfq_id = '$draft->{id}'"), 0, 'bad invitations: none stored');

# ---- mass assignment ---------------------------------------------------------------

for my $rfq ($draft, $public) {
	my $before = snapshot($rfq->{id});
	for my $body ({ status => 'awarded' },
	    { buyer_org_id => $rival->{org_id} },
	    { organization_id => $rival->{org_id} },
	    { id => '00000000-0000-0000-0000-000000000001' },
	    { version => 99 }, { created_by => $rival->{user_id} },
	    { nda_version => '1999' }, { awarded_quote_id => undef },
	    { status => 'awarded', description => 'smuggled' }) {
		my ($field) = grep { $_ ne 'description' } keys %$body;
		$res = api('PATCH', "/api/v1/rfqs/$rfq->{id}",
		    token => $buyer->{token}, json => $body);
		$err = is_error_response($res, 400, 'validation_failed',
		    "mass assignment $field ($rfq->{status})");
		ok(exists $err->{error}{fields}{$field},
		    "mass assignment $field: named");
	}
	is(snapshot($rfq->{id}), $before,
	    "mass assignment ($rfq->{status}): row unchanged");
}

# Unauthenticated requests stop at 401.
is(api('GET', "/api/v1/rfqs/$public->{id}")->{status}, 401,
    'no token: GET 401');
is(api('PATCH', "/api/v1/rfqs/$public->{id}",
    json => { title => 'x' })->{status}, 401, 'no token: PATCH 401');
is(api('GET', '/api/v1/rfqs/not-a-uuid', token => $buyer->{token})->{status},
    404, 'malformed id: 404');

done_testing();
