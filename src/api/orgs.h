/*
 * orgs.h - handlers of organizations, members and organization invitations.
 */
#ifndef SSCN_API_ORGS_H
#define SSCN_API_ORGS_H

struct http_request;

#endif
