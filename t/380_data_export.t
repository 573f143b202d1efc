#!/usr/bin/perl
# GET /api/v1/data/export: a user who is a member of a supplier and of a
# buyer organization, with data in every section, downloads the export.
# It holds each section with the user's rows, decrypted, and none of
# another user's; it is an audited attachment; the fourth export within
# an hour answers 429 rate_limited.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Rfqs;
use SSCN::Documents;
use SSCN::Suppliers;
use Test::More;

require_stack();

my $supplier = org_user('supplier');
my $buyer = org_user('buyer');
my $other = colleague($supplier, 'member');
my $user_id = $supplier->{user_id};

# ---- data in every section ------------------------------------------------

is(api('PATCH', '/api/v1/me', token => $supplier->{token},
    json => { phone => '+49 30 1234567' })->{status}, 200, 'setup: phone');

my $rfq = create_rfq($buyer, visibility => 'invited',
    nda_required => JSON::PP::true, quote_deadline => rfq_timestamp(3600),
    need_by => rfq_date(30));
publish_rfq($buyer, $rfq, $supplier);
my $nda = api('GET', '/api/v1/legal/nda')->{json}{version};
is(api('POST', "/api/v1/rfqs/$rfq->{id}/nda/accept",
    token => $supplier->{token}, json => { version => $nda })->{status}, 201,
    'setup: NDA accepted');
my $quote = api('POST', "/api/v1/rfqs/$rfq->{id}/quotes",
    token => $supplier->{token}, json => { unit_price => '9.90',
	currency => 'EUR', lead_time_days => 10, valid_until => rfq_date(40),
	notes => 'Export test quote.' });
is($quote->{status}, 201, 'setup: quote submitted') or diag($quote->{body});
is(api('POST', "/api/v1/rfqs/$rfq->{id}/messages", token => $supplier->{token},
    json => { body => 'Export test message.' })->{status}, 201,
    'setup: message posted');
is(api('POST', "/api/v1/rfqs/$rfq->{id}/messages", token => $other->{token},
    json => { body => 'A colleague wrote this.' })->{status}, 201,
    'setup: colleague message posted');

my $profile = put_profile($supplier, $supplier->{org_id},
    { certifications => [{ scheme => 'ISO 9001:2015',
	certificate_no => 'Q-380', issuer => 'DNV',
	valid_from => '2024-01-01', valid_until => '2099-12-31' }] });
is($profile->{status}, 200, 'setup: certification') or diag($profile->{body});
my $certification = $profile->{json}{certifications}[0]{id};
my $document = create_document($supplier, { purpose => 'certificate',
    owner_id => $certification, filename => 'iso9001.pdf',
    content_type => 'application/pdf' });
is($document->{status}, 201, 'setup: document created');
is(put_content($supplier, $document->{json}{id}, pdf_bytes(),
    type => 'application/pdf')->{status}, 200, 'setup: document stored');

is(api('PUT', '/api/v1/me/preferences', token => $supplier->{token},
    json => { marketing_emails => JSON::PP::true })->{status}, 200,
    'setup: marketing mail on');
my $cookies = api('GET', '/api/v1/legal/cookies')->{json}{version};
is(api('POST', '/api/v1/consents', token => $supplier->{token},
    json => { categories => { analytics => JSON::PP::true,
	marketing => JSON::PP::false }, policy_version => $cookies })->{status},
    201, 'setup: cookie consent');

# The supplier also joins the buyer organization and writes an RFQ there.
psql_value("INSERT INTO sscn.memberships (organization_id, user_id, role) "
    . "VALUES ('$buyer->{org_id}', '$user_id', 'member')");
is(api('PUT', '/api/v1/me/organization', token => $supplier->{token},
    json => { organization_id => $buyer->{org_id} })->{status}, 200,
    'setup: session moved to the buyer organization');
my $own_rfq = create_rfq($supplier, title => 'RFQ written by the exporter');

# ---- the export -----------------------------------------------------------

my $res = api('GET', '/api/v1/data/export', token => $supplier->{token});
is($res->{status}, 200, 'export: 200') or diag($res->{body});
like(header($res, 'Content-Type') // '', qr{^application/json},
    'export: JSON');
like(header($res, 'Content-Disposition') // '',
    qr{^attachment; filename="sscn-data-export-\d{4}-\d{2}-\d{2}\.json"$},
    'export: an attachment with a dated name');
my $doc = $res->{json} // {};

is($doc->{format}, 'sscn-data-export', 'export: format named');
is($doc->{format_version}, 1, 'export: format version');
like($doc->{generated_at} // '', qr/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/,
    'export: generation time');

my $account = $doc->{account} // {};
is($account->{id}, $user_id, 'account: id');
is($account->{email}, $supplier->{user}{email}, 'account: e-mail decrypted');
is($account->{full_name}, $supplier->{user}{full_name},
    'account: name decrypted');
is($account->{phone}, '+49 30 1234567', 'account: phone decrypted');
ok(defined $account->{email_verified_at}, 'account: verification time');

my %orgs = map { $_->{organization_id} => $_ } @{$doc->{memberships} // []};
is(scalar(keys %orgs), 2, 'memberships: both organizations');
is($orgs{$supplier->{org_id}}{role}, 'owner', 'memberships: supplier owner');
is($orgs{$buyer->{org_id}}{role}, 'member', 'memberships: buyer member');

my %accepted = map { $_->{document} => 1 } @{$doc->{legal_acceptances} // []};
ok($accepted{terms} && $accepted{privacy},
    'legal acceptances: terms and privacy');
ok(!(grep { ($_->{address} // '') !~ /^[0-9a-f.:]+$/ }
    @{$doc->{legal_acceptances} // []}),
    'legal acceptances: addresses decrypted');

my @sessions = @{$doc->{sessions} // []};
is(scalar(@sessions), psql_value("SELECT count(*) FROM sscn.sessions "
    . "WHERE user_id = '$user_id'"), 'sessions: every one listed');
ok(!(grep { !defined $_->{created_at} } @sessions), 'sessions: with times');
ok(!(grep { ($_->{address} // '') !~ /^[0-9a-f.:]+$/ } @sessions),
    'sessions: addresses decrypted');

my @rfqs = @{$doc->{rfqs_created} // []};
is(scalar(@rfqs), 1, 'rfqs: the one the user created');
is($rfqs[0]{id}, $own_rfq->{id}, 'rfqs: its id');
is($rfqs[0]{title}, 'RFQ written by the exporter', 'rfqs: its title');

my @revisions = @{$doc->{quote_revisions_created} // []};
is(scalar(@revisions), 1, 'quotes: one revision');
is($revisions[0]{quote_id}, $quote->{json}{id}, 'quotes: its quote');
is($revisions[0]{rfq_id}, $rfq->{id}, 'quotes: its RFQ');
is($revisions[0]{notes}, 'Export test quote.', 'quotes: its notes');

my @messages = @{$doc->{messages_written} // []};
is(scalar(@messages), 1, 'messages: only the user\'s own');
is($messages[0]{body}, 'Export test message.', 'messages: its text');

my @documents = @{$doc->{documents_uploaded} // []};
is(scalar(@documents), 1, 'documents: the upload');
is($documents[0]{filename}, 'iso9001.pdf', 'documents: its name');
like($documents[0]{sha256} // '', qr/^[0-9a-f]{64}$/,
    'documents: SHA-256 in hex');
ok(!exists $documents[0]{content}, 'documents: metadata without content');

my @certifications = @{$doc->{certifications_created} // []};
is(scalar(@certifications), 1, 'certifications: one');
is($certifications[0]{certificate_no}, 'Q-380', 'certifications: its number');

ok($doc->{preferences}{marketing_emails}, 'preferences: marketing mail');
my @consents = @{$doc->{cookie_consents} // []};
is(scalar(@consents), 1, 'cookie consents: one');
ok($consents[0]{analytics} && !$consents[0]{marketing},
    'cookie consents: the categories');
like($consents[0]{address} // '', qr/^[0-9a-f.:]+$/,
    'cookie consents: address decrypted');

my @ndas = @{$doc->{nda_acceptances} // []};
is(scalar(@ndas), 1, 'NDA acceptances: one');
is($ndas[0]{rfq_id}, $rfq->{id}, 'NDA acceptances: its RFQ');
like($ndas[0]{address} // '', qr/^[0-9a-f.:]+$/,
    'NDA acceptances: address decrypted');
unlike($res->{body}, qr/address_sealed|address_key/,
    'export: no sealed field left');

my @events = @{$doc->{audit_events} // []};
ok((grep { $_->{action} eq 'auth.login' || $_->{action} =~ /^auth\./ }
    @events), 'audit events: sign-in events');
ok((grep { $_->{action} eq 'quote.submit' } @events),
    'audit events: the quote');
ok(!(grep { !$_->{caused_by_you} && defined $_->{address} } @events),
    'audit events: no address of another actor');

unlike($res->{body}, qr/A colleague wrote this/,
    'export: no message of another user');
unlike($res->{body}, qr/\Q$other->{user}{email}\E/,
    'export: no e-mail of another user');

# ---- audit and rate limit ---------------------------------------------------

is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'data.export' AND actor_id = '$user_id' AND result = 'success'"), 1,
    'audit: one data.export row');
is(psql_value("SELECT details->>'messages_written' FROM sscn.audit_log "
    . "WHERE action = 'data.export' AND actor_id = '$user_id'"), 1,
    'audit: counts of the sections');

for my $n (2, 3) {
	is(api('GET', '/api/v1/data/export', token => $supplier->{token})
	    ->{status}, 200, "rate limit: export $n allowed");
}
my $limited = api('GET', '/api/v1/data/export', token => $supplier->{token});
is_error_response($limited, 429, 'rate_limited', 'rate limit: fourth export');
like(header($limited, 'Retry-After') // '', qr/^\d+$/,
    'rate limit: Retry-After');
cmp_ok(header($limited, 'Retry-After') // 0, '<=', 3600,
    'rate limit: within the hour');
is(psql_value("SELECT count(*) FROM sscn.data_exports "
    . "WHERE user_id = '$user_id'"), 3, 'rate limit: refused one not counted');

is_error_response(api('GET', '/api/v1/data/export'), 401, 'unauthorized',
    'export: needs a session');

# A session that must first accept new terms may still export.
my $pending = org_user('buyer');
psql_value("UPDATE sscn.sessions SET restriction = 'acceptance' "
    . "WHERE user_id = '$pending->{user_id}'");
is_error_response(api('GET', '/api/v1/me/organizations',
    token => $pending->{token}), 403, 'acceptance_required',
    'restricted session: other routes refused');
is(api('GET', '/api/v1/data/export', token => $pending->{token})->{status},
    200, 'restricted session: export allowed');

done_testing();
