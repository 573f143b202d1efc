/*
 * data_export.h - GET /api/v1/data/export (data_export.c).
 */
#ifndef SSCN_API_DATA_EXPORT_H
#define SSCN_API_DATA_EXPORT_H

#include "sscn.h"

enum sscn_err data_export(struct http_request *);

#endif /* SSCN_API_DATA_EXPORT_H */
