#!/usr/bin/perl
# The life of an RFQ as its users see it: a buyer creates, invites and
# publishes an RFQ that requires an NDA; the invited supplier sees only a
# teaser and gets 403 nda_required until it accepts the pinned NDA
# version; the buyer lists who accepted; the deadline passes and the RFQ
# reads as closed, and the buyer's next write records that.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use Encode ();
use JSON::PP ();
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Rfqs;
use Test::More;

require_stack();

my $buyer = org_user('buyer');
my $supplier = org_user('supplier');
my $colleague_user = verified_user(organization_kind => 'supplier');

# ---- create ----------------------------------------------------------------

my $res = api('POST', '/api/v1/rfqs', token => $buyer->{token},
    json => rfq_body(visibility => 'invited', nda_required => JSON::PP::true,
    quantity => 1250.5));
my $rfq = is_json_ok($res, 201, 'create');
my $id = $rfq->{id};
like($id // '', qr/^[0-9a-f-]{36}$/, 'create: id is a UUID');
is($rfq->{status}, 'draft', 'create: status draft');
is($rfq->{quantity}, 1250.5, 'create: quantity is a number');
is($rfq->{buyer}{id}, $buyer->{org_id}, 'create: buyer organization');
is($rfq->{buyer}{name}, $buyer->{org_name}, 'create: buyer name');
is($rfq->{created_by}, $buyer->{user_id}, 'create: created_by');
is($rfq->{version}, 1, 'create: version 1');
is(header($res, 'Location'), "/api/v1/rfqs/$id", 'create: Location');
is(header($res, 'ETag'), '"1"', 'create: ETag is the version');
is(psql_value("SELECT quantity FROM sscn.rfqs WHERE id = '$id'"),
    '1250.500', 'create: quantity stored as numeric');

my ($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'rfq.create', 'create: audit action');
is($audit->{target}, $id, 'create: audit target');
ok(ref $audit->{details}{fields} eq 'ARRAY'
    && (grep { $_ eq 'title' } @{ $audit->{details}{fields} }),
    'create: audit names the fields');
unlike(JSON::PP->new->canonical->encode($audit->{details} // {}),
    qr/Turned brass/, 'create: audit holds no field values');

# A draft is invisible to suppliers.
is(api('GET', "/api/v1/rfqs/$id", token => $supplier->{token})->{status},
    404, 'draft: hidden from the supplier');

# ---- invite and publish ---------------------------------------------------------

$res = api('POST', "/api/v1/rfqs/$id/invitations", token => $buyer->{token},
    json => { supplier_org_ids => [$supplier->{org_id}, $supplier->{org_id}] });
my $invited = is_json_ok($res, 200, 'invite');
is_deeply($invited->{added}, [$supplier->{org_id}], 'invite: added once');
is(scalar @{ $invited->{items} }, 1, 'invite: one invitation');
is($invited->{items}[0]{supplier_name}, $supplier->{org_name},
    'invite: supplier name');
($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'rfq.invite', 'invite: audit action');

$res = api('POST', "/api/v1/rfqs/$id/invitations", token => $buyer->{token},
    json => { supplier_org_ids => [$supplier->{org_id}] });
$invited = is_json_ok($res, 200, 'invite again');
is_deeply($invited->{added}, [], 'invite again: nothing added');
is(scalar @{ $invited->{items} }, 1, 'invite again: still one');

is(scalar mail_for($supplier->{user}{email}, 'rfq_invitation'), 0,
    'invite: a draft sends no mail yet');

$res = api('POST', "/api/v1/rfqs/$id/publish", token => $buyer->{token});
$rfq = is_json_ok($res, 200, 'publish');
is($rfq->{status}, 'published', 'publish: status published');
ok($rfq->{published_at}, 'publish: published_at set');
my $nda = api('GET', '/api/v1/legal/nda')->{json};
is($rfq->{nda_version}, $nda->{version}, 'publish: current NDA pinned');
($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'rfq.publish', 'publish: audit action');
is($audit->{details}{nda_version}, $nda->{version},
    'publish: audit names the NDA version');

my @mails = mail_for($supplier->{user}{email}, 'rfq_invitation');
is(scalar @mails, 1, 'publish: invitation mailed to the supplier owner');
like($mails[0]{body} // '', qr{/rfqs/\Q$id\E}, 'publish: mail links the RFQ');
like($mails[0]{subject} // '', qr/^Invitation to quote: Turned brass/,
    'publish: mail subject names the RFQ');

# ---- the NDA gate -------------------------------------------------------------

$res = api('GET', "/api/v1/rfqs/$id", token => $supplier->{token});
my $body = is_error_response($res, 403, 'nda_required', 'gate',
    allow_top => ['nda']);
is($body->{nda}{version}, $nda->{version}, 'gate: names the NDA version');
is($body->{nda}{url}, '/api/v1/legal/nda', 'gate: links the NDA text');
unlike($res->{body}, qr/CW614N/, 'gate: no description');

my $list = is_json_ok(api('GET', '/api/v1/rfqs', token => $supplier->{token}),
    200, 'teaser list');
my ($item) = grep { $_->{id} eq $id } @{ $list->{items} };
ok($item, 'teaser list: RFQ listed');
is_deeply([sort keys %{ $item // {} }], [sort qw(id title category buyer
    quote_deadline status nda_required nda_version nda_accepted)],
    'teaser list: teaser fields only');
is($item->{nda_required}, JSON::PP::true, 'teaser list: nda_required true');
is($item->{buyer}{name}, $buyer->{org_name}, 'teaser list: buyer name');

$res = api('POST', "/api/v1/rfqs/$id/nda/accept", token => $supplier->{token},
    json => { version => 'not-the-version' });
is($res->{status}, 409, 'accept: wrong version 409');
$res = api('POST', "/api/v1/rfqs/$id/nda/accept", token => $supplier->{token},
    json => {});
is($res->{status}, 400, 'accept: missing version 400');
$res = api('POST', "/api/v1/rfqs/$id/nda/accept", token => $buyer->{token},
    json => { version => $nda->{version} });
is($res->{status}, 403, 'accept: buyer 403');
is(psql_value("SELECT count(*) FROM sscn.nda_acceptances WHERE rfq_id = '$id'"),
    0, 'accept: refused ones stored nothing');

$res = api('POST', "/api/v1/rfqs/$id/nda/accept", token => $supplier->{token},
    json => { version => $nda->{version} });
my $acceptance = is_json_ok($res, 201, 'accept');
my $text_hash = sha256_hex(Encode::encode('UTF-8', $nda->{text}));
is($acceptance->{nda_sha256}, $text_hash, 'accept: SHA-256 of the NDA text');
is($acceptance->{user_id}, $supplier->{user_id}, 'accept: user recorded');
my $stored = psql_json("SELECT user_id, nda_version, encode(nda_sha256, 'hex') "
    . "AS sha, length(address) AS address_length, user_agent, supplier_org_id "
    . "FROM sscn.nda_acceptances WHERE rfq_id = '$id'");
is(scalar @$stored, 1, 'accept: one row stored');
is($stored->[0]{sha}, $text_hash, 'accept: stored hash');
is($stored->[0]{supplier_org_id}, $supplier->{org_id},
    'accept: stored organization');
# The address is a ciphertext: version, nonce and tag add 30 bytes.
cmp_ok($stored->[0]{address_length} // 0, '>', 30, 'accept: address stored');
is($stored->[0]{user_agent}, 'sscn-tests', 'accept: user agent stored');
($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'rfq.nda_accept', 'accept: audit action');

$res = api('POST', "/api/v1/rfqs/$id/nda/accept", token => $supplier->{token},
    json => { version => $nda->{version} });
my $again = is_json_ok($res, 200, 'accept again');
is($again->{accepted_at}, $acceptance->{accepted_at},
    'accept again: first acceptance kept');
is(psql_value("SELECT count(*) FROM sscn.nda_acceptances WHERE rfq_id = '$id'"),
    1, 'accept again: no second row');
is(scalar(audit_rows(header($res, 'X-Request-ID'))), 0,
    'accept again: no audit row');

$rfq = is_json_ok(api('GET', "/api/v1/rfqs/$id", token => $supplier->{token}),
    200, 'after acceptance');
like($rfq->{description} // '', qr/CW614N/, 'after acceptance: description');
is($rfq->{nda_accepted}, JSON::PP::true, 'after acceptance: nda_accepted');
ok(!exists $rfq->{created_by}, 'after acceptance: no created_by');
ok(!exists $rfq->{awarded_quote_id}, 'after acceptance: no awarded_quote_id');

# The acceptance binds the organization: a second member sees it too.
my $colleague_id = user_id_of($colleague_user->{email});
psql_value("DELETE FROM sscn.memberships WHERE user_id = '$colleague_id'");
psql_value("INSERT INTO sscn.memberships (organization_id, user_id, role) "
    . "VALUES ('$supplier->{org_id}', '$colleague_id', 'member')");
my $colleague = login_user($colleague_user)->{token};
is(api('GET', "/api/v1/rfqs/$id", token => $colleague)->{status}, 200,
    'organization: another member reads the details');

my $acceptances = is_json_ok(api('GET', "/api/v1/rfqs/$id/nda/acceptances",
    token => $buyer->{token}), 200, 'acceptances');
is(scalar @{ $acceptances->{items} }, 1, 'acceptances: one');
is($acceptances->{items}[0]{user_id}, $supplier->{user_id},
    'acceptances: who');
is($acceptances->{items}[0]{nda_version}, $nda->{version},
    'acceptances: which version');
is($acceptances->{items}[0]{accepted_at}, $acceptance->{accepted_at},
    'acceptances: when');
is(api('GET', "/api/v1/rfqs/$id/nda/acceptances",
    token => $supplier->{token})->{status}, 404,
    'acceptances: supplier 404');

# ---- the deadline passes ------------------------------------------------------

my $soon = create_rfq($buyer, quote_deadline => rfq_timestamp(3),
    need_by => rfq_date(3));
$soon = publish_rfq($buyer, $soon);
is($soon->{status}, 'published', 'deadline: published');
sleep 4;
$rfq = is_json_ok(api('GET', "/api/v1/rfqs/$soon->{id}",
    token => $buyer->{token}), 200, 'deadline passed');
is($rfq->{status}, 'closed', 'deadline passed: reads closed');
is($rfq->{closed_at}, $soon->{quote_deadline},
    'deadline passed: closed_at is the deadline');
is(psql_value("SELECT status FROM sscn.rfqs WHERE id = '$soon->{id}'"),
    'published', 'deadline passed: nothing written by a read');
my ($public) = grep { $_->{id} eq $soon->{id} } @{ api('GET',
    '/api/v1/rfqs?status=closed&limit=100',
    token => $supplier->{token})->{json}{items} // [] };
is($public && $public->{status}, 'closed',
    'deadline passed: supplier list reads closed');

$res = api('PATCH', "/api/v1/rfqs/$soon->{id}", token => $buyer->{token},
    json => { description => 'too late' });
is_error_response($res, 409, 'conflict', 'write after deadline');
my $row = rfq_row($soon->{id});
is($row->{status}, 'closed', 'write after deadline: closed recorded');
is(psql_value("SELECT closed_at = quote_deadline FROM sscn.rfqs "
    . "WHERE id = '$soon->{id}'"), 't',
    'write after deadline: closed_at = quote_deadline');
isnt($row->{description_md}, 'too late', 'write after deadline: no change');
($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit && $audit->{action}, 'rfq.close', 'write after deadline: audit');
is($audit && $audit->{details}{reason}, 'deadline',
    'write after deadline: audit reason');

done_testing();
