/*
 * documents.h - handlers of document upload and download.
 */
#ifndef SSCN_API_DOCUMENTS_H
#define SSCN_API_DOCUMENTS_H

struct http_request;

#endif
