/*
 * rfqs.h - handlers of RFQs, their supplier invitations and NDA gate.
 */
#ifndef SSCN_API_RFQS_H
#define SSCN_API_RFQS_H

struct http_request;

#endif
