/*
 * rfqs.h - handlers of RFQs, their invitations and NDA gate, quotes and message threads.
 */
#ifndef SSCN_API_RFQS_H
#define SSCN_API_RFQS_H

struct http_request;

#endif
