/*
 * account_deletion.h - the handlers of account deletion
 * (api/account_deletion.c) and their statements.
 */
#ifndef SSCN_API_ACCOUNT_DELETION_H
#define SSCN_API_ACCOUNT_DELETION_H

#include "sscn.h"

enum sscn_err account_delete_request(struct http_request *);
enum sscn_err account_delete_cancel(struct http_request *);

extern const struct db_statement account_deletion_statements[];
extern const size_t account_deletion_nstatements;

#endif /* SSCN_API_ACCOUNT_DELETION_H */
