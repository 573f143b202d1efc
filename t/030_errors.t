#!/usr/bin/perl
# Request-layer errors: 404 and 405 as JSON, body size limits (413) in nginx
# and in sscnd, missing or malformed lengths (411, 400), the content type
# (415) and strict JSON parsing (400 validation_failed).  Accepted bodies go
# to POST /api/v1/echo, which exists when enable_test_routes = yes (as in
# the dev config) and returns {"received": <parsed body>}.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP ();
use SSCN::Test;
use Test::More;

require_stack();

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;
my $conf = conf_read() // {};

# The contract's limit for JSON bodies; nginx enforces it, and sscnd enforces
# max_body_size from its config again.
my $NGINX_LIMIT = 1048576;
my $APP_LIMIT = conf_size($conf->{max_body_size} // '1048576') // 1048576;

sub post_json ($body, %opt) {
	return request('POST', '/api/v1/echo',
	    headers => ['Content-Type' => $opt{type} // 'application/json'],
	    body => $body);
}

# Check that an echo response returns EXPECTED (a Perl structure) as
# "received".
sub is_echo ($res, $expected, $name) {
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $body = is_json_ok($res, 200, $name);
	is_deeply(ref $body eq 'HASH' ? $body->{received} : undef, $expected,
	    "$name: body returned as received");
}

# A JSON object of exactly LEN bytes: {"a":"xxx...x"}.
sub object_of_size ($len) {
	return '{"a":"' . ('x' x ($len - 8)) . '"}';
}

sub nested_objects ($depth) {
	return ('{"a":' x ($depth - 1)) . '{}' . ('}' x ($depth - 1));
}

sub nested_arrays_in_object ($depth) {
	return '{"a":' . ('[' x ($depth - 1)) . (']' x ($depth - 1)) . '}';
}

# ---- 404 --------------------------------------------------------------------

is_error_response(request('GET', '/api/v1/no-such-route'), 404, 'not_found',
    'unknown v1 path');
is_error_response(request('GET', '/api/v2/health/live'), 404, 'not_found',
    'unknown version v2');
is_error_response(request('POST', '/api/v2/echo',
    headers => ['Content-Type' => 'application/json'], body => '{}'),
    404, 'not_found', 'unknown version v2 POST');
is_error_response(request('GET', '/api/no-such-route'), 404, 'not_found',
    'unknown api path');
is_error_response(request('GET', '/api/v1/echo/extra'), 404, 'not_found',
    'extra path segment');

# ---- 405 --------------------------------------------------------------------

{
	my $res = request('POST', '/api/health/live',
	    headers => ['Content-Type' => 'application/json'], body => '{}');
	is_error_response($res, 405, 'method_not_allowed', 'POST live');
	like(header($res, 'Allow') // '', qr/\bGET\b/, 'POST live: Allow has GET');
	unlike(header($res, 'Allow') // '', qr/\bPOST\b/,
	    'POST live: Allow lacks POST');

	$res = request('GET', '/api/v1/echo');
	is_error_response($res, 405, 'method_not_allowed', 'GET echo');
	like(header($res, 'Allow') // '', qr/\bPOST\b/, 'GET echo: Allow has POST');

	$res = request('DELETE', '/api/health/');
	is_error_response($res, 405, 'method_not_allowed', 'DELETE health');
	like(header($res, 'Allow') // '', qr/\bGET\b/,
	    'DELETE health: Allow has GET');
	like(header($res, 'Allow') // '', qr/\bHEAD\b/,
	    'DELETE health: Allow has HEAD');
}

# ---- HEAD is served wherever GET is (RFC 9110) ----------------------------------

{
	my $get = request('GET', '/api/health/live');
	my $head = request('HEAD', '/api/health/live');
	is($head->{status}, 200, 'HEAD live: status 200');
	is($head->{body}, '', 'HEAD live: no body');
	is(header($head, 'Content-Length'), length($get->{body}),
	    'HEAD live: Content-Length of the GET body');
	ok(defined header($head, 'X-Request-ID'), 'HEAD live: has X-Request-ID');
}

# ---- 413: nginx's limit -------------------------------------------------------

is_echo(post_json(object_of_size($NGINX_LIMIT)),
    { a => 'x' x ($NGINX_LIMIT - 8) }, 'body of exactly 1 MiB');
is_error_response(post_json(object_of_size($NGINX_LIMIT + 1)), 413,
    'payload_too_large', 'nginx body over 1 MiB');
is_error_response(request('POST', '/api/v1/echo',
    headers => ['Content-Type' => 'application/json'],
    content_length => '10737418240', body => ''), 413, 'payload_too_large',
    'nginx Content-Length of 10 GiB');

# ---- 413, 411 and 400 in sscnd, through its FastCGI socket -----------------

SKIP: {
	skip "FastCGI socket $FCGI_SOCKET not found", 1 unless -S $FCGI_SOCKET;

	my sub fcgi_post ($stdin, %params) {
		return fcgi_request(params => [fcgi_params('POST', '/api/v1/echo',
		    CONTENT_TYPE => 'application/json',
		    CONTENT_LENGTH => length $stdin, %params)], stdin => $stdin);
	}

	is_echo(fcgi_post(object_of_size($APP_LIMIT)),
	    { a => 'x' x ($APP_LIMIT - 8) }, 'fcgi body at max_body_size');
	is_error_response(fcgi_post(object_of_size($APP_LIMIT + 1)), 413,
	    'payload_too_large', 'fcgi body over max_body_size');

	# A length of 10 GiB and an empty body: 413, and not the 400 of a short
	# body, shows that sscnd checks the length before it reads.
	is_error_response(fcgi_post('', CONTENT_LENGTH => '10737418240'), 413,
	    'payload_too_large', 'fcgi Content-Length of 10 GiB');

	# What nginx would send for a chunked body with
	# fastcgi_request_buffering off: HTTP_TRANSFER_ENCODING and an empty
	# CONTENT_LENGTH.
	is_error_response(fcgi_post('{"a":1}', CONTENT_LENGTH => '',
	    HTTP_TRANSFER_ENCODING => 'chunked'), 411, 'length_required',
	    'fcgi chunked body, empty CONTENT_LENGTH');
	is_error_response(fcgi_post('{"a":1}', CONTENT_LENGTH => undef,
	    HTTP_TRANSFER_ENCODING => 'chunked'), 411, 'length_required',
	    'fcgi chunked body, no CONTENT_LENGTH');

	for my $bad ('12abc', '-1', ' 7', '0x10', '7, 7') {
		is_error_response(fcgi_post('{"a":1}', CONTENT_LENGTH => $bad),
		    400, 'validation_failed', "fcgi CONTENT_LENGTH '$bad'");
	}

	# The connection ends before CONTENT_LENGTH bytes arrived.
	is_error_response(fcgi_post('{"a":1}', CONTENT_LENGTH => '100'), 400,
	    'validation_failed', 'fcgi body shorter than CONTENT_LENGTH');
}

# ---- malformed Content-Length through nginx ------------------------------------

for my $bad ('abc', '-1', '1 2') {
	is_error_response(request('POST', '/api/v1/echo',
	    headers => ['Content-Type' => 'application/json'],
	    content_length => $bad, body => '{}'), 400, 'validation_failed',
	    "nginx Content-Length '$bad'");
}

# ---- chunked body without Content-Length through nginx -------------------------
#
# nginx buffers the whole request body before it opens the FastCGI request
# (fastcgi_request_buffering on in nginx/fastcgi_sscn.conf), so it passes the
# decoded length as CONTENT_LENGTH and sscnd answers as for any other body:
# 200 from the echo route, or nginx's own 413 past 1 MiB.

{
	my $res = request('POST', '/api/v1/echo',
	    headers => ['Content-Type' => 'application/json'],
	    chunked => ['{"chun', 'ked":', 'true}']);
	is_echo($res, { chunked => JSON::PP::true }, 'nginx chunked body');

	$res = request('POST', '/api/v1/echo',
	    headers => ['Content-Type' => 'application/json'],
	    chunked => [map { object_of_size(65536) } 1 .. 17]);
	is_error_response($res, 413, 'payload_too_large',
	    'nginx chunked body over 1 MiB');
}

# ---- 415 ----------------------------------------------------------------------

is_error_response(post_json('{"a":1}', type => 'text/plain'), 415,
    'unsupported_media_type', 'text/plain body');
is_error_response(post_json('{"a":1}', type => 'application/x-www-form-urlencoded'),
    415, 'unsupported_media_type', 'form body');
is_error_response(post_json('{"a":1}', type => 'application/jsonx'), 415,
    'unsupported_media_type', 'application/jsonx body');
is_error_response(request('POST', '/api/v1/echo', body => '{"a":1}'), 415,
    'unsupported_media_type', 'body without Content-Type');
is_echo(post_json('{"a":1}', type => 'application/json; charset=utf-8'),
    { a => 1 }, 'JSON with charset');
is_echo(post_json('{"a":1}', type => 'Application/JSON'), { a => 1 },
    'JSON type in upper case');

# ---- 400 validation_failed ------------------------------------------------------

my @invalid = (
	['empty body', ''],
	['whitespace body', '  '],
	['truncated object', '{"a":'],
	['trailing comma', '{"a":1,}'],
	['single quotes', "{'a':1}"],
	['trailing garbage', '{"a":1} x'],
	['two values', '{"a":1}{"b":2}'],
	['leading zero', '{"a":01}'],
	['NaN literal', '{"a":NaN}'],
	['unescaped control byte', qq({"a":"x\ty"})],
	['top-level array', '[1,2]'],
	['top-level string', '"a"'],
	['top-level null', 'null'],
	['invalid UTF-8 0xFF', qq({"a":"\xff"})],
	['invalid UTF-8 truncated', qq({"a":"\xc3"})],
	['invalid UTF-8 overlong', qq({"a":"\xc0\xaf"})],
	['invalid UTF-8 surrogate', qq({"a":"\xed\xa0\x80"})],
	['invalid UTF-8 above U+10FFFF', qq({"a":"\xf4\x90\x80\x80"})],
	['invalid UTF-8 in key', qq({"\xff":1})],
	['lone high surrogate escape', '{"a":"\ud800"}'],
	['lone low surrogate escape', '{"a":"\udc00"}'],
	['NUL escape in value', '{"a":"x\u0000y"}'],
	['NUL escape in key', '{"x\u0000":1}'],
	['raw NUL byte', qq({"a":"x\0y"})],
	['duplicate keys', '{"a":1,"a":2}'],
	['duplicate keys nested', '{"o":{"k":1,"k":1}}'],
	['duplicate keys after unescape', '{"a":1,"\u0061":2}'],
	['objects nested 33 deep', nested_objects(33)],
	['arrays nested 33 deep', nested_arrays_in_object(33)],
	['nested 1000 deep', nested_objects(1000)],
);
for my $case (@invalid) {
	my ($name, $body) = @$case;
	is_error_response(post_json($body), 400, 'validation_failed', $name);
}

# ---- accepted bodies ----------------------------------------------------------

is_echo(post_json(nested_objects(32)), $JSON->decode(nested_objects(32)),
    'objects nested 32 deep');
is_echo(post_json(nested_arrays_in_object(32)),
    $JSON->decode(nested_arrays_in_object(32)), 'arrays nested 32 deep');
is_echo(post_json('{"a":"\ud83d\ude00","b":"caf\u00e9","c":"' . "\xe2\x82\xac" . '"}'),
    { a => "\x{1F600}", b => "caf\x{e9}", c => "\x{20ac}" },
    'unicode escapes and UTF-8');
is_echo(post_json('{"n":-7,"d":2.5,"t":true,"f":false,"z":null,"l":[1,"x"]}'),
    { n => -7, d => 2.5, t => JSON::PP::true, f => JSON::PP::false, z => undef,
    l => [1, 'x'] }, 'JSON value types');
is_echo(post_json(qq(\r\n {"a" : 1}\t\n)), { a => 1 },
    'whitespace around the object');

done_testing();
