#!/usr/bin/perl
# The guards of the RFQ state machine: what publish needs, which states
# close and cancel start from, what a published RFQ may still change, the
# quotes that an amendment or a cancellation moves, and the If-Match
# version check of PATCH.

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
my $supplier = org_user('supplier');
my $other_supplier = org_user('supplier');

sub status_of ($id) {
	return psql_value("SELECT status FROM sscn.rfqs WHERE id = '$id'");
}

# A quote as the quotes part would store it, written as the superuser.
sub add_quote ($rfq, $actor, $status = 'submitted') {
	my $id = psql_value('SELECT gen_random_uuid()');
	psql_value('INSERT INTO sscn.quotes (id, rfq_id, buyer_org_id, '
	    . "supplier_org_id, status) VALUES ('$id', '$rfq->{id}', "
	    . "'$buyer->{org_id}', '$actor->{org_id}', '$status')");
	return $id;
}

sub quote_status ($id) {
	return psql_value("SELECT status FROM sscn.quotes WHERE id = '$id'");
}

# ---- publish -------------------------------------------------------------------

my $incomplete = create_rfq($buyer, quantity => undef, currency => undef);
my $res = api('POST', "/api/v1/rfqs/$incomplete->{id}/publish",
    token => $buyer->{token});
my $err = is_error_response($res, 400, 'validation_failed',
    'publish incomplete');
ok(exists $err->{error}{fields}{$_}, "publish incomplete: names $_")
    for qw(quantity currency);
is(status_of($incomplete->{id}), 'draft', 'publish incomplete: still draft');

my $past = create_rfq($buyer, quote_deadline => rfq_timestamp(-3600),
    need_by => rfq_date(5));
$res = api('POST', "/api/v1/rfqs/$past->{id}/publish", token => $buyer->{token});
$err = is_error_response($res, 400, 'validation_failed', 'publish past deadline');
ok(exists $err->{error}{fields}{quote_deadline},
    'publish past deadline: names quote_deadline');
is(status_of($past->{id}), 'draft', 'publish past deadline: still draft');

my $lonely = create_rfq($buyer, visibility => 'invited');
$res = api('POST', "/api/v1/rfqs/$lonely->{id}/publish",
    token => $buyer->{token});
$err = is_error_response($res, 400, 'validation_failed',
    'publish invited without invitations');
ok(exists $err->{error}{fields}{invitations},
    'publish invited without invitations: named');
is(status_of($lonely->{id}), 'draft', 'publish invited: still draft');

my $rfq = publish_rfq($buyer, create_rfq($buyer), $supplier);
is($rfq->{nda_version}, undef, 'publish without NDA: no version pinned');
is_error_response(api('POST', "/api/v1/rfqs/$rfq->{id}/publish",
    token => $buyer->{token}), 409, 'conflict', 'publish twice');

# ---- close ---------------------------------------------------------------------

my $draft = create_rfq($buyer);
is_error_response(api('POST', "/api/v1/rfqs/$draft->{id}/close",
    token => $buyer->{token}), 409, 'conflict', 'close a draft');
is(status_of($draft->{id}), 'draft', 'close a draft: still draft');

# ---- amend a published RFQ ----------------------------------------------------------

my $quote = add_quote($rfq, $supplier);
my $withdrawn = add_quote($rfq, $other_supplier, 'withdrawn');

for my $field (qw(title category delivery_country visibility nda_required
    sealed)) {
	my $value = { title => 'New title', category => 'packaging',
	    delivery_country => 'FR', visibility => 'invited',
	    nda_required => JSON::PP::true, sealed => JSON::PP::true }->{$field};
	$res = api('PATCH', "/api/v1/rfqs/$rfq->{id}", token => $buyer->{token},
	    json => { $field => $value });
	$err = is_error_response($res, 400, 'validation_failed',
	    "amend $field");
	ok(exists $err->{error}{fields}{$field}, "amend $field: named");
}
$res = api('PATCH', "/api/v1/rfqs/$rfq->{id}", token => $buyer->{token},
    json => { quote_deadline => rfq_timestamp(-60) });
is_error_response($res, 400, 'validation_failed', 'amend deadline into the past');
$res = api('PATCH', "/api/v1/rfqs/$rfq->{id}", token => $buyer->{token},
    json => { quantity => undef });
is_error_response($res, 400, 'validation_failed', 'amend quantity to null');
is(quote_status($quote), 'submitted', 'refused amendments: quote untouched');

# A later deadline alone is no change of terms.
my $later = rfq_timestamp(10 * 86400);
$res = api('PATCH', "/api/v1/rfqs/$rfq->{id}", token => $buyer->{token},
    json => { quote_deadline => $later, need_by => rfq_date(40) });
my $amended = is_json_ok($res, 200, 'extend deadline');
is($amended->{quote_deadline}, $later, 'extend deadline: stored');
is(quote_status($quote), 'submitted', 'extend deadline: quote still submitted');

# The same quantity again is no change either.
$res = api('PATCH', "/api/v1/rfqs/$rfq->{id}", token => $buyer->{token},
    json => { quantity => 5000 });
is_json_ok($res, 200, 'same quantity');
is(quote_status($quote), 'submitted', 'same quantity: quote still submitted');

# If-Match must name the current version.
my $version = $amended->{version} + 1;
$res = api('PATCH', "/api/v1/rfqs/$rfq->{id}", token => $buyer->{token},
    json => { quantity => 6000 }, headers => ['If-Match' => '"1"']);
is_error_response($res, 409, 'conflict', 'stale If-Match');
is(psql_value("SELECT quantity FROM sscn.rfqs WHERE id = '$rfq->{id}'"),
    '5000.000', 'stale If-Match: quantity unchanged');

$res = api('PATCH', "/api/v1/rfqs/$rfq->{id}", token => $buyer->{token},
    json => { quantity => 6000 }, headers => ['If-Match' => "\"$version\""]);
$amended = is_json_ok($res, 200, 'amend quantity');
is($amended->{quantity}, 6000, 'amend quantity: stored');
is(header($res, 'ETag'), '"' . ($version + 1) . '"', 'amend quantity: new ETag');
is(quote_status($quote), 'needs_reconfirmation',
    'amend quantity: quote needs reconfirmation');
is(quote_status($withdrawn), 'withdrawn', 'amend quantity: withdrawn kept');
my ($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'rfq.amend', 'amend: audit action');
is($audit->{details}{quotes_needing_reconfirmation}, 1,
    'amend: audit counts the quotes');

# A sealed RFQ's quotes are hidden from the buyer, and still move.
my $sealed = publish_rfq($buyer, create_rfq($buyer, sealed => JSON::PP::true));
my $sealed_quote = add_quote($sealed, $supplier);
$res = api('PATCH', "/api/v1/rfqs/$sealed->{id}", token => $buyer->{token},
    json => { currency => 'USD' });
is_json_ok($res, 200, 'amend sealed currency');
is(quote_status($sealed_quote), 'needs_reconfirmation',
    'amend sealed: quote needs reconfirmation');

# In a draft every field changes, and null clears an optional one.
$res = api('PATCH', "/api/v1/rfqs/$draft->{id}", token => $buyer->{token},
    json => { title => 'Renamed', visibility => 'invited', need_by => undef,
    sealed => JSON::PP::true });
my $changed = is_json_ok($res, 200, 'patch draft');
is($changed->{title}, 'Renamed', 'patch draft: title');
is($changed->{need_by}, undef, 'patch draft: need_by cleared');
is($changed->{sealed}, JSON::PP::true, 'patch draft: sealed');
($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'rfq.update', 'patch draft: audit action');
is_deeply([sort @{ $audit->{details}{fields} // [] }],
    [qw(need_by sealed title visibility)], 'patch draft: audit fields');

# need_by is checked against the stored deadline too.
$res = api('PATCH', "/api/v1/rfqs/$draft->{id}", token => $buyer->{token},
    json => { need_by => rfq_date(1) });
is_error_response($res, 400, 'validation_failed', 'need_by before deadline');

# ---- cancel ---------------------------------------------------------------------

$res = api('POST', "/api/v1/rfqs/$rfq->{id}/cancel", token => $buyer->{token},
    json => {});
is_error_response($res, 400, 'validation_failed', 'cancel without reason');
$res = api('POST', "/api/v1/rfqs/$rfq->{id}/cancel", token => $buyer->{token},
    json => { reason => '' });
is_error_response($res, 400, 'validation_failed', 'cancel with empty reason');
$res = api('POST', "/api/v1/rfqs/$rfq->{id}/cancel", token => $buyer->{token},
    json => { reason => 'x' x 2001 });
is_error_response($res, 400, 'validation_failed', 'cancel with long reason');
is(status_of($rfq->{id}), 'published', 'refused cancels: still published');

$res = api('POST', "/api/v1/rfqs/$rfq->{id}/close", token => $buyer->{token});
is(is_json_ok($res, 200, 'close')->{status}, 'closed', 'close: closed');
is_error_response(api('PATCH', "/api/v1/rfqs/$rfq->{id}",
    token => $buyer->{token}, json => { description => 'late' }), 409,
    'conflict', 'patch a closed RFQ');
is_error_response(api('POST', "/api/v1/rfqs/$rfq->{id}/invitations",
    token => $buyer->{token},
    json => { supplier_org_ids => [$other_supplier->{org_id}] }), 409,
    'conflict', 'invite to a closed RFQ');

$res = api('POST', "/api/v1/rfqs/$rfq->{id}/cancel", token => $buyer->{token},
    json => { reason => "Project stopped.\nSorry." });
my $cancelled = is_json_ok($res, 200, 'cancel closed');
is($cancelled->{status}, 'cancelled', 'cancel: status');
is($cancelled->{cancel_reason}, "Project stopped.\nSorry.", 'cancel: reason');
is(quote_status($quote), 'rejected', 'cancel: open quote rejected');
is(quote_status($withdrawn), 'withdrawn', 'cancel: withdrawn kept');
($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'rfq.cancel', 'cancel: audit action');
is($audit->{details}{quotes_rejected}, 1, 'cancel: audit counts quotes');
unlike(JSON::PP->new->encode($audit->{details}), qr/Project stopped/,
    'cancel: audit holds no reason text');
my @mails = mail_for($supplier->{user}{email}, 'rfq_cancelled');
is(scalar @mails, 1, 'cancel: invitee mailed');
like($mails[0]{body} // '', qr/Project stopped/, 'cancel: mail gives reason');

for my $verb (['POST', '/cancel', { reason => 'again' }],
    ['POST', '/close', undef], ['POST', '/publish', undef],
    ['PATCH', '', { description => 'x' }]) {
	my ($method, $suffix, $body) = @$verb;
	is_error_response(api($method, "/api/v1/rfqs/$rfq->{id}$suffix",
	    token => $buyer->{token}, defined $body ? (json => $body) : ()),
	    409, 'conflict', "cancelled: $method $suffix");
}
is(status_of($rfq->{id}), 'cancelled', 'cancelled: stays cancelled');

$res = api('POST', "/api/v1/rfqs/$draft->{id}/cancel", token => $buyer->{token},
    json => { reason => 'Not needed' });
is(is_json_ok($res, 200, 'cancel draft')->{status}, 'cancelled',
    'cancel draft: cancelled');

done_testing();
