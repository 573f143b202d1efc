/*
 * qr.c - render a libqrencode symbol as a compact SVG document.
 *
 * The document is built in two passes over the symbol: the first only
 * counts bytes, the second writes into a buffer of exactly that size.  So
 * the buffer is never reallocated, which would leave copies of the picture
 * (and so of the secret it encodes) in freed memory.  libqrencode's own
 * working copies of the text are freed without wiping; that is outside
 * this file's control.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <qrencode.h>
#include <sodium.h>

#include "auth/qr.h"

/*
 * SVG output buffer.  With "data" NULL, svg_printf() only counts.  "failed"
 * records a vsnprintf() error or output that did not fit, neither of which
 * should happen with the counted size.
 */
struct svg_buf {
	char	*data;
	size_t	 size;
	size_t	 len;
	bool	 failed;
};

static void svg_printf(struct svg_buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
svg_printf(struct svg_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	if (b->data == NULL)
		n = vsnprintf(NULL, 0, fmt, ap);
	else
		n = vsnprintf(b->data + b->len, b->size - b->len, fmt, ap);
	va_end(ap);

	if (n < 0 || (b->data != NULL && (size_t)n >= b->size - b->len)) {
		b->failed = true;
		return;
	}
	b->len += (size_t)n;
}

/*
 * Write the whole document for "qr".  Bit 0 of each byte of qr->data is
 * the module colour, 1 for dark.  Rows run top to bottom.  Each run of dark
 * modules in a row becomes "M x y h width v 1 h -width z", with
 * coordinates shifted by the quiet zone.
 */
static void
svg_render(struct svg_buf *b, const QRcode *qr)
{
	int	 size = qr->width + 2 * QR_QUIET_ZONE;
	int	 x, y, start;

	svg_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	    "<path fill=\"#000\" d=\"", size, size, size, size);

	for (y = 0; y < qr->width; y++) {
		x = 0;
		while (x < qr->width) {
			if ((qr->data[y * qr->width + x] & 1) == 0) {
				x++;
				continue;
			}
			start = x;
			while (x < qr->width &&
			    (qr->data[y * qr->width + x] & 1) != 0)
				x++;
			svg_printf(b, "M%d %dh%dv1h-%dz", start + QR_QUIET_ZONE,
			    y + QR_QUIET_ZONE, x - start, x - start);
		}
	}

	svg_printf(b, "\"/></svg>");
}

int
qr_svg(const char *text, char **svg_out)
{
	QRcode		*qr;
	struct svg_buf	 b = { NULL, 0, 0, false };
	int		 saved_errno;

	if (svg_out == NULL) {
		errno = EINVAL;
		return -1;
	}
	*svg_out = NULL;
	if (text == NULL || *text == '\0') {
		errno = EINVAL;
		return -1;
	}

	/*
	 * QR_MODE_8 keeps non-alphanumeric bytes as they are, and the case
	 * flag keeps lower-case letters out of the upper-case-only
	 * alphanumeric mode, so the scanned text equals "text".
	 */
	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return -1;

	svg_render(&b, qr);
	if (b.failed) {
		errno = EOVERFLOW;
		goto fail;
	}
	b.size = b.len + 1;
	b.len = 0;
	if ((b.data = malloc(b.size)) == NULL)
		goto fail;
	svg_render(&b, qr);
	if (b.failed) {
		errno = EOVERFLOW;
		goto fail;
	}

	sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	*svg_out = b.data;
	return 0;

fail:
	saved_errno = errno;
	if (b.data != NULL) {
		sodium_memzero(b.data, b.size);
		free(b.data);
	}
	sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	errno = saved_errno;
	return -1;
}
