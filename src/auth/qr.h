/*
 * qr.h - QR codes as inline SVG, for the otpauth:// URI shown at MFA setup.
 */
#ifndef SSCN_AUTH_QR_H
#define SSCN_AUTH_QR_H

#define QR_QUIET_ZONE	4	/* modules of light margin on each side */

/*
 * Encode the NUL-terminated "text" as a QR code (error correction level
 * M, the smallest version that fits, case and bytes kept) and store in
 * "*svg_out" a standalone SVG document: one white <rect> for the
 * background and quiet zone, and one black <path> made of one rectangle
 * per horizontal run of dark modules.  The viewBox counts modules, and the
 * picture has no script, style sheet or external reference.  The caller
 * frees "*svg_out" with free(); the picture encodes "text", so wipe it
 * first when "text" is secret, as an otpauth:// URI is.
 *
 * Returns 0, or -1 with "*svg_out" set to NULL and errno set: EINVAL for
 * NULL or empty "text", ERANGE when "text" is too long for a QR code
 * (above 2331 bytes at level M when no part of it fits the denser numeric
 * or alphanumeric modes), ENOMEM when memory ran out.
 */
int	qr_svg(const char *text, char **svg_out)
	    __attribute__((warn_unused_result));

#endif /* SSCN_AUTH_QR_H */
