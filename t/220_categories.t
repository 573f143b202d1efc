#!/usr/bin/perl
# GET /api/v1/categories: the category code list, without login, in the
# order of sscn.categories, with the same headers as every API answer.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

my $res = api('GET', '/api/v1/categories');
my $body = is_json_ok($res, 200, 'categories without login');
is(header($res, 'Cache-Control'), 'no-store', 'categories: Cache-Control');
is(header($res, 'API-Version'), '1', 'categories: API-Version');
ok(length(header($res, 'X-Request-ID') // ''), 'categories: X-Request-ID');
is_deeply([sort keys %$body], ['items'], 'categories: only items');

my $items = $body->{items} // [];
my $expected = psql_value("SELECT string_agg(code || '=' || name, '|' "
    . 'ORDER BY position) FROM sscn.categories');
is(join('|', map { "$_->{code}=$_->{name}" } @$items), $expected,
    'categories: every code and name in list order');
ok(@$items >= 10, 'categories: the list is seeded');
is_deeply([sort keys %{ $items->[0] // {} }], [qw(code name)],
    'categories: entries have code and name only');

# A token is accepted but not needed; a bad one changes nothing here.
$res = api('GET', '/api/v1/categories', token => 'not-a-token');
is($res->{status}, 200, 'categories: ignores the Authorization header');

$res = api('POST', '/api/v1/categories', json => {});
is_error_response($res, 405, 'method_not_allowed', 'categories POST');

done_testing();
