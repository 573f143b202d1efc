#!/usr/bin/perl
# The private message threads of an RFQ: one per supplier organization,
# between it and the buyer.  A supplier reads and writes only its own
# thread, after the NDA where one is required; the buyer reads every
# thread or one, and writes to the one it names.  Another buyer and a
# supplier that cannot see the RFQ reach nothing, and a refused post
# stores nothing.

use v5.36;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Quotes;
use Test::More;

require_stack();

my $buyer = org_user('buyer');
my $other_buyer = org_user('buyer');
my $alpha = org_user('supplier');
my $beta = org_user('supplier');
my $rfq = make_rfq($buyer);

sub post ($party, $rfq_id, $json) {
	return api('POST', "/api/v1/rfqs/$rfq_id/messages",
	    token => $party->{token}, json => $json);
}

sub thread ($party, $rfq_id, $query = '') {
	return api('GET', "/api/v1/rfqs/$rfq_id/messages$query",
	    token => $party->{token});
}

# ---- suppliers write to their own thread --------------------------------

my $res = post($alpha, $rfq, { body => "Is 1.4404 acceptable?\nThanks." });
my $body = is_json_ok($res, 201, 'supplier posts');
is($body->{supplier_org_id}, $alpha->{org_id}, 'post: own thread');
is($body->{author_side}, 'supplier', 'post: author side');
is($body->{body}, "Is 1.4404 acceptable?\nThanks.", 'post: body kept');
my ($audit) = grep { $_->{action} eq 'message.post' }
    audit_rows(header($res, 'X-Request-ID'));
ok($audit, 'post: audit row');
is($audit->{target}, $body->{id}, 'post audit: target is the message');
unlike(JSON::PP->new->canonical->encode($audit->{details} // {}),
    qr/1\.4404/, 'post audit: no message text');

is(post($beta, $rfq, { body => 'Beta asks.' })->{status}, 201,
    'second supplier posts');

$res = thread($alpha, $rfq);
$body = is_json_ok($res, 200, 'supplier reads');
is(scalar @{ $body->{items} }, 1, 'supplier reads: only its thread');
is($body->{items}[0]{author_name}, 'Rory Quill', 'supplier reads: author');
$res = thread($alpha, $rfq, "?supplier_org_id=$beta->{org_id}");
is(scalar @{ $res->{json}{items} // [] }, 1,
    'supplier naming another thread still reads its own');
ok(!grep({ $_->{supplier_org_id} ne $alpha->{org_id} }
    @{ $res->{json}{items} // [] }), 'supplier never reads another thread');

my $b = is_error_response(post($alpha, $rfq, { body => 'x',
    supplier_org_id => $beta->{org_id} }), 400, 'validation_failed',
    'supplier names a thread');
ok(exists $b->{error}{fields}{supplier_org_id},
    'supplier names a thread: field');

# ---- the buyer ------------------------------------------------------------

$res = thread($buyer, $rfq);
$body = is_json_ok($res, 200, 'buyer reads all');
is(scalar @{ $body->{items} }, 2, 'buyer reads both threads');
$res = thread($buyer, $rfq, "?supplier_org_id=$alpha->{org_id}");
is(scalar @{ $res->{json}{items} }, 1, 'buyer reads one thread');
is_error_response(thread($buyer, $rfq, '?supplier_org_id=nope'), 400,
    'validation_failed', 'buyer thread filter not a UUID');

$res = post($buyer, $rfq, { body => 'Yes, 1.4404 is fine.',
    supplier_org_id => $alpha->{org_id} });
$body = is_json_ok($res, 201, 'buyer posts');
is($body->{author_side}, 'buyer', 'buyer post: author side');
is(scalar @{ thread($alpha, $rfq)->{json}{items} }, 2,
    'supplier reads the answer');
is(scalar @{ thread($beta, $rfq)->{json}{items} }, 1,
    'other supplier does not');

$b = is_error_response(post($buyer, $rfq, { body => 'to whom?' }), 400,
    'validation_failed', 'buyer post without thread');
ok(exists $b->{error}{fields}{supplier_org_id},
    'buyer post without thread: field');
is_error_response(post($buyer, $rfq, { body => 'x',
    supplier_org_id => $other_buyer->{org_id} }), 404, 'not_found',
    'buyer posts to a buyer organization');

# ---- paging ---------------------------------------------------------------

$res = thread($buyer, $rfq, '?limit=2');
$body = is_json_ok($res, 200, 'page 1');
is(scalar @{ $body->{items} }, 2, 'page 1: two messages');
my %seen = map { $_->{id} => 1 } @{ $body->{items} };
$res = thread($buyer, $rfq, "?limit=2&cursor=$body->{next_cursor}");
$body = is_json_ok($res, 200, 'page 2');
is(scalar @{ $body->{items} }, 1, 'page 2: the third message');
ok(!$seen{ $body->{items}[0]{id} }, 'page 2: a new message');
is($body->{next_cursor}, undef, 'page 2: last page');

# ---- validation -----------------------------------------------------------

my $count = sql_row_count('sscn.messages', "rfq_id = '$rfq'");
for my $case (
    [{ body => '' }, 'body', 'empty body'],
    [{ body => " \n\t " }, 'body', 'white space only'],
    [{ body => 'x' x 10001 }, 'body', 'body too long'],
    [{ body => "bell\x07" }, 'body', 'control character'],
    [{ body => 'x', author_id => $buyer->{user_id} }, 'author_id',
	'server-owned author'],
    [{}, 'body', 'missing body']) {
	my ($json, $field, $name) = @$case;
	my $e = is_error_response(post($alpha, $rfq, $json), 400,
	    'validation_failed', "post $name");
	ok(exists $e->{error}{fields}{$field}, "post $name: names $field");
}
is(sql_row_count('sscn.messages', "rfq_id = '$rfq'"), $count,
    'invalid posts: nothing stored');
is(post($alpha, $rfq, { body => 'x' x 10000 })->{status}, 201,
    'post of 10000 characters');
$res = post($alpha, $rfq, { body => "Cafe\x{0301}" });
is($res->{json}{body}, "Caf\x{e9}", 'post: body stored as NFC');

# ---- who else reaches nothing ---------------------------------------------

$count = sql_row_count('sscn.messages', "rfq_id = '$rfq'");
is_error_response(thread($other_buyer, $rfq), 404, 'not_found',
    'other buyer reads');
is_error_response(post($other_buyer, $rfq, { body => 'x',
    supplier_org_id => $alpha->{org_id} }), 404, 'not_found',
    'other buyer posts');

my $invited = make_rfq($buyer, visibility => 'invited');
is_error_response(thread($alpha, $invited), 404, 'not_found',
    'uninvited supplier reads');
is_error_response(post($alpha, $invited, { body => 'x' }), 404, 'not_found',
    'uninvited supplier posts');
is_error_response(post($buyer, $invited, { body => 'x',
    supplier_org_id => $alpha->{org_id} }), 404, 'not_found',
    'buyer posts to an uninvited supplier');
invite_supplier($invited, $buyer, $alpha);
is(post($buyer, $invited, { body => 'Welcome.',
    supplier_org_id => $alpha->{org_id} })->{status}, 201,
    'buyer posts to an invited supplier');
is(scalar @{ thread($alpha, $invited)->{json}{items} }, 1,
    'invited supplier reads');
is(sql_row_count('sscn.messages', "rfq_id = '$rfq'"), $count,
    'refused posts: nothing stored');

# ---- NDA gate and states ----------------------------------------------------

my $nda = make_rfq($buyer, nda => 1);
is_error_response(thread($alpha, $nda), 403, 'nda_required',
    'read before the NDA');
is_error_response(post($alpha, $nda, { body => 'x' }), 403, 'nda_required',
    'post before the NDA');
is(sql_row_count('sscn.messages', "rfq_id = '$nda'"), 0,
    'NDA refused: nothing stored');
accept_nda($nda, $buyer, $alpha);
is(post($alpha, $nda, { body => 'Signed.' })->{status}, 201,
    'post after the NDA');
is(scalar @{ thread($alpha, $nda)->{json}{items} }, 1, 'read after the NDA');

my $draft = make_rfq($buyer, status => 'draft');
invite_supplier($draft, $buyer, $alpha);
is_error_response(post($buyer, $draft, { body => 'x',
    supplier_org_id => $alpha->{org_id} }), 409, 'conflict', 'post to a draft');
my $cancelled = make_rfq($buyer);
rfq_set($cancelled, status => "'cancelled'", cancelled_at => 'now()',
    cancel_reason => "'Budget withdrawn'");
is_error_response(post($alpha, $cancelled, { body => 'x' }), 409, 'conflict',
    'post to a cancelled RFQ');

done_testing();
