/*
 * quotes.h - handlers of quotes, their revisions and awards, and the
 * message threads of an RFQ.
 */
#ifndef SSCN_API_QUOTES_H
#define SSCN_API_QUOTES_H

struct http_request;

#endif
