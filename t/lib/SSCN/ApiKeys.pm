package SSCN::ApiKeys;

# Signed requests with an organization's API key: the canonical string
# and the Authorization header as sscn-api(7) defines them.

use v5.36;
use Digest::SHA qw(hmac_sha256_hex sha256_hex);
use Exporter 'import';
use SSCN::Test;

our @EXPORT = qw(canonical_string sign_request signed_api);

# METHOD "\n" path-with-query "\n" timestamp "\n" hex(SHA-256(body)).
sub canonical_string ($method, $uri, $timestamp, $body) {
	return join("\n", $method, $uri, $timestamp, sha256_hex($body));
}

sub sign_request ($secret, $method, $uri, $timestamp, $body) {
	return hmac_sha256_hex(canonical_string($method, $uri, $timestamp,
	    $body), $secret);
}

# api() with a signature.  %opt: key (the POST response: id and secret),
# json, timestamp (default now), signature (to send a given one).
sub signed_api ($method, $uri, %opt) {
	my $body = '';
	my @headers;
	if (exists $opt{json}) {
		$body = JSON::PP->new->canonical->encode($opt{json});
		push @headers, 'Content-Type' => 'application/json';
	}
	my $ts = $opt{timestamp} // time;
	my $sig = $opt{signature}
	    // sign_request($opt{key}{secret}, $method, $uri, $ts, $body);
	push @headers, Authorization => "SSCN-HMAC-SHA256 key_id="
	    . "$opt{key}{id}, timestamp=$ts, signature=$sig";
	my $res = request($method, $uri, headers => \@headers,
	    body => $method eq 'GET' ? undef : $body, timeout => 30);
	$res->{json} = decode_json_body($res);
	return $res;
}

1;
