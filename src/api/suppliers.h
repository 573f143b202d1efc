/*
 * suppliers.h - handlers of the category list, supplier profiles, certifications and the supplier directory.
 */
#ifndef SSCN_API_SUPPLIERS_H
#define SSCN_API_SUPPLIERS_H

struct http_request;

#endif
