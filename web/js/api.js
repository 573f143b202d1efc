// api.js - the client of the SSCN HTTP API for the web UI.
//
// The browser authenticates with the session cookie that login sets
// (__Host-sscn_session, HttpOnly), so the UI never reads the access token.
// Every unsafe method (POST, PUT, PATCH, DELETE) sends the readable
// __Host-sscn_csrf cookie back as X-CSRF-Token, as the server requires of
// cookie-authenticated requests.  Failures become ApiError objects with the
// server's code, message, field problems and request id.

export const CSRF_COOKIE = "__Host-sscn_csrf";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

// Paths whose 401 is a failed credential check, not an ended session, so
// the client neither refreshes nor reports the session as ended.
const CREDENTIAL_PATHS = [
	"/api/v1/auth/login",
	"/api/v1/auth/mfa/verify",
	"/api/v1/auth/refresh",
	"/api/v1/auth/logout",
	"/api/v1/auth/register",
	"/api/v1/auth/verify-email",
	"/api/v1/auth/password/",
];

// An error response of the API, or a network failure (status 0, code
// "network_error").  fields maps a request field to its problem; body is
// the whole parsed error body, for members beside "error" (the "nda" of
// 403 nda_required).
export class ApiError extends Error {
	constructor({ status, code, message, fields, requestId, body }) {
		super(message);
		this.name = "ApiError";
		this.status = status;
		this.code = code;
		this.fields = fields || {};
		this.requestId = requestId || null;
		this.body = body || null;
	}
}

// Callbacks that session.js installs, so this module imports nothing.
const hooks = {
	sessionEnded: () => {},
	restricted: () => {},
	contact: () => {},
};

// Install callbacks.  sessionEnded(error) runs when an authenticated
// request gets 401 and a refresh cannot revive the session.
// restricted(code) runs for 403 acceptance_required or
// mfa_enrollment_required.  contact() runs after each authenticated
// request that the server accepted, because that request extended the
// server's idle timer.
export function setHooks(callbacks) {
	Object.assign(hooks, callbacks);
}

// Return the value of the readable cookie name, or null.
export function readCookie(name) {
	const prefix = name + "=";
	const found = document.cookie.split("; ").find((c) => c.startsWith(prefix));
	return found ? decodeURIComponent(found.slice(prefix.length)) : null;
}

function buildUrl(path, query) {
	if (!query) {
		return path;
	}
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(query)) {
		if (value !== null && value !== undefined && value !== "") {
			params.set(name, String(value));
		}
	}
	const text = params.toString();
	return text ? path + "?" + text : path;
}

async function errorFromResponse(response) {
	const requestId = response.headers.get("X-Request-ID");
	let body = null;
	try {
		body = await response.json();
	} catch {
		body = null;
	}
	const error = body && body.error;
	if (error && typeof error.code === "string") {
		return new ApiError({
			status: response.status,
			code: error.code,
			message: error.message,
			fields: error.fields,
			requestId: error.request_id || requestId,
			body: body,
		});
	}
	return new ApiError({
		status: response.status,
		code: "http_" + response.status,
		message: "The server returned status " + response.status + ".",
		requestId: requestId,
	});
}

async function send(method, path, options) {
	const headers = { "Accept": "application/json", ...options.headers };
	let body;
	if (options.body instanceof Blob || options.body instanceof ArrayBuffer) {
		body = options.body;
		headers["Content-Type"] = options.contentType || "application/octet-stream";
	} else if (options.body !== undefined) {
		body = JSON.stringify(options.body);
		headers["Content-Type"] = "application/json";
	}
	const csrf = readCookie(CSRF_COOKIE);
	if (!SAFE_METHODS.has(method) && csrf) {
		headers["X-CSRF-Token"] = csrf;
	}

	try {
		return await fetch(buildUrl(path, options.query), {
			method: method,
			headers: headers,
			body: body,
			credentials: "same-origin",
			cache: "no-store",
		});
	} catch {
		throw new ApiError({
			status: 0,
			code: "network_error",
			message: "The server could not be reached.",
		});
	}
}

let refreshing = null;

// Refresh the access token of the session once, however many requests ask
// at the same time.  Resolves to true when the session is still alive.
export function refreshSession() {
	if (!refreshing) {
		refreshing = send("POST", "/api/v1/auth/refresh", {})
			.then((response) => response.ok)
			.catch(() => false)
			.finally(() => {
				refreshing = null;
			});
	}
	return refreshing;
}

function isCredentialPath(path) {
	return CREDENTIAL_PATHS.some((prefix) => path.startsWith(prefix));
}

// Send one request and return the parsed JSON body, or null for 204.
// options: body (an object sent as JSON, or a Blob/ArrayBuffer sent raw
// with options.contentType), query (an object of query parameters),
// headers (more request headers, such as If-Match), response: true to
// get the Response itself (downloads and ETags), stayOnPage: true to get
// a restricted session's 403 as an error without being sent to the step
// that lifts the restriction.  Throws
// ApiError.  An expired access token is refreshed and the request repeated
// once; when the session has ended, the sessionEnded hook runs as well.
export async function request(method, path, options = {}) {
	let response = await send(method, path, options);

	const credentialPath = isCredentialPath(path);
	if (response.status === 401 && !credentialPath && !options.anonymous) {
		// Only "unauthorized" means the session or its token is gone.
		// invalid_credentials and mfa_invalid reject a password or code
		// sent with the request (MFA set-up, password change, account
		// deletion), and the session stays valid.
		const first = await errorFromResponse(response);
		if (first.code !== "unauthorized") {
			throw first;
		}
		if (!(await refreshSession())) {
			hooks.sessionEnded(first);
			throw first;
		}
		response = await send(method, path, options);
	}

	if (!response.ok) {
		const error = await errorFromResponse(response);
		if (response.status === 401 && error.code === "unauthorized" &&
			!credentialPath && !options.anonymous) {
			hooks.sessionEnded(error);
		}
		const restricted = error.code === "acceptance_required" ||
			error.code === "mfa_enrollment_required";
		if (restricted && !options.stayOnPage) {
			Promise.resolve(hooks.restricted(error.code)).catch((failure) => {
				console.warn("loading the restricted session failed:", failure.message);
			});
		}
		throw error;
	}

	if (!credentialPath && !options.anonymous) {
		hooks.contact();
	}
	if (options.response) {
		return response;
	}
	if (response.status === 204) {
		return null;
	}
	const type = response.headers.get("Content-Type") || "";
	return type.startsWith("application/json") ? response.json() : response.text();
}

export const api = {
	get: (path, options) => request("GET", path, options),
	post: (path, body, options) => request("POST", path, { ...options, body }),
	put: (path, body, options) => request("PUT", path, { ...options, body }),
	patch: (path, body, options) => request("PATCH", path, { ...options, body }),
	delete: (path, body, options) => request("DELETE", path, { ...options, body }),
};
