/*
 * document_check.c - is an uploaded file really the PDF, PNG or JPEG that
 * its document declares?
 *
 * Two checks, both on the bytes alone (never the name or the client's
 * Content-Type).  libmagic must name the declared type; that rejects a PNG
 * declared as a PDF or an HTML page named ".pdf".  libmagic looks at the
 * start of a file only, so a polyglot that starts with "%PDF-" and goes on
 * as HTML passes it.  The structural check then requires what a reader of
 * the format needs at both ends of the file, and no HTML markup in the
 * first KiB, where browsers that sniff look for it:
 *
 *   PDF   "%PDF-" at byte 0, "%%EOF" at the end (whitespace may follow)
 *   PNG   the 8-byte signature, IHDR as the first chunk (13 bytes, width
 *         and height not 0), the IEND chunk as the last 12 bytes
 *   JPEG  FF D8 FF, marker segments up to SOS with a frame header (SOFn)
 *         among them, FF D9 as the last 2 bytes
 *
 * This is no full parser: a damaged file with intact ends passes.  The
 * download headers (attachment, nosniff, a sandbox CSP) are the second
 * line of defence.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <magic.h>

#include "sscn.h"
#include "api/documents.h"

/* Bytes at the start that must hold no HTML markup. */
#define CHECK_MARKUP_WINDOW 1024

/*
 * libmagic's handle for one check.  Loading maps the 8 MB compiled
 * database, so each upload loads it and closes it again: uploads are
 * rare, and an idle worker keeps no such pages.
 */
static magic_t check_magic;

static enum sscn_err
check_magic_open(struct http_request *req)
{
	/* No decompression: a compressed bomb must not cost a worker. */
	check_magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
	if (check_magic == NULL) {
		log_error(req->request_id, "magic_open_failed",
		    "error=\"out of memory\"");
		return SSCN_ERR_INTERNAL;
	}
	if (magic_load(check_magic, NULL) != 0) {
		char text[128];

		log_error(req->request_id, "magic_load_failed", "error=%s",
		    log_escape(text, sizeof(text), magic_error(check_magic)));
		magic_close(check_magic);
		check_magic = NULL;
		return SSCN_ERR_INTERNAL;
	}
	return SSCN_OK;
}

/* True when the first CHECK_MARKUP_WINDOW bytes hold an HTML tag. */
static bool
check_has_markup(const unsigned char *data, size_t len)
{
	static const char *const tags[] = { "<html", "<script", "<!doctype",
	    "<body", "<head", "<iframe", "<svg", NULL };
	size_t	 window = len < CHECK_MARKUP_WINDOW ? len : CHECK_MARKUP_WINDOW;
	size_t	 i, j;

	for (i = 0; i < window; i++) {
		if (data[i] != '<')
			continue;
		for (j = 0; tags[j] != NULL; j++) {
			size_t n = strlen(tags[j]);

			if (window - i >= n &&
			    strncasecmp((const char *)data + i, tags[j], n) == 0)
				return true;
		}
	}
	return false;
}

/* PDF white space (ISO 32000-1, 7.2.2), NUL included. */
static bool
check_pdf_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\0';
}

static bool
check_pdf(const unsigned char *data, size_t len)
{
	size_t end = len;

	if (len < 5 + 5 || memcmp(data, "%PDF-", 5) != 0)
		return false;
	while (end > 0 && check_pdf_space(data[end - 1]))
		end--;
	return end >= 10 && memcmp(data + end - 5, "%%EOF", 5) == 0;
}

static unsigned long
check_be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

static bool
check_png(const unsigned char *data, size_t len)
{
	static const unsigned char signature[8] = {
	    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const unsigned char iend[12] = {
	    0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };

	/* Signature, IHDR (4 + 4 + 13 + 4 bytes) and IEND. */
	if (len < 8 + 25 + 12 || memcmp(data, signature, 8) != 0)
		return false;
	if (check_be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0)
		return false;
	if (check_be32(data + 16) == 0 || check_be32(data + 20) == 0)
		return false;
	return memcmp(data + len - 12, iend, 12) == 0;
}

/*
 * Walk the marker segments after SOI (each FF, a marker byte, a 2-byte
 * length that counts itself) up to SOS, which must come after a frame
 * header SOF0-SOF15 (C0-CF without DHT C4, JPG C8 and DAC CC).
 */
static bool
check_jpeg(const unsigned char *data, size_t len)
{
	size_t	 at = 2;
	bool	 frame = false;

	if (len < 4 || data[0] != 0xff || data[1] != 0xd8 || data[2] != 0xff ||
	    data[len - 2] != 0xff || data[len - 1] != 0xd9)
		return false;

	while (at + 4 <= len - 2) {
		unsigned char	 marker;
		size_t		 seglen;

		if (data[at] != 0xff)
			return false;
		marker = data[at + 1];
		if (marker == 0xff) {
			/* Fill bytes before a marker. */
			at++;
			continue;
		}
		if (marker == 0xda)
			return frame;
		seglen = (size_t)data[at + 2] << 8 | data[at + 3];
		if (seglen < 2)
			return false;
		if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 &&
		    marker != 0xc8 && marker != 0xcc)
			frame = true;
		at += 2 + seglen;
	}
	return false;
}

static bool
check_content(struct http_request *req, const char *content_type,
    const unsigned char *data, size_t len, enum sscn_err *err)
{
	const char	*found;
	char		 text[128];
	bool		 ok;

	*err = check_magic_open(req);
	if (*err != SSCN_OK)
		return false;

	found = magic_buffer(check_magic, data, len);
	if (found == NULL) {
		log_warn(req->request_id, "magic_buffer_failed", "error=%s",
		    log_escape(text, sizeof(text), magic_error(check_magic)));
		return false;
	}
	if (strcmp(found, content_type) != 0) {
		log_info(req->request_id, "document_type_mismatch",
		    "declared=%s detected=%s", content_type,
		    log_escape(text, sizeof(text), found));
		return false;
	}

	if (strcmp(content_type, "application/pdf") == 0)
		ok = check_pdf(data, len);
	else if (strcmp(content_type, "image/png") == 0)
		ok = check_png(data, len);
	else if (strcmp(content_type, "image/jpeg") == 0)
		ok = check_jpeg(data, len);
	else
		ok = false;
	if (ok && check_has_markup(data, len))
		ok = false;
	if (!ok)
		log_info(req->request_id, "document_structure_invalid",
		    "declared=%s", content_type);
	return ok;
}

bool
document_check_content(struct http_request *req, const char *content_type,
    const unsigned char *data, size_t len, enum sscn_err *err)
{
	bool ok = check_content(req, content_type, data, len, err);

	if (check_magic != NULL) {
		magic_close(check_magic);
		check_magic = NULL;
	}
	return ok;
}
