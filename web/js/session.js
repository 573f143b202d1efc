// session.js - the signed-in user and the session's life in the browser.
// It refreshes the access token while the user is active, warns before
// the idle timeout, and returns to the login page with a clear message
// once the server has ended the session.

import { api, setHooks, refreshSession, readCookie, ApiError, CSRF_COOKIE } from "./api.js";
import { el, replace } from "./dom.js";
import { navigate } from "./router.js";

// NOTE: these mirror sscnd's defaults (session_idle_timeout 1800 s,
// access_token_ttl 900 s in sscn.conf); the API does not publish them.
// A server with a shorter idle timeout ends sessions before the warning.
const timers = {
	idleMs: 30 * 60 * 1000,
	warnMs: 2 * 60 * 1000,
	tokenTtlMs: 15 * 60 * 1000,
	// An active user's session is refreshed at least this often, so the
	// server's idle clock follows activity that makes no request.
	keepAliveMs: 5 * 60 * 1000,
	tickMs: 5 * 1000,
};

const ACTIVITY_EVENTS = ["pointerdown", "keydown", "wheel", "touchstart"];

export const session = {
	user: null,
	lastContact: 0,
	tokenIssued: 0,
	lastActivity: 0,
	tick: null,
	warning: null,
};

// Override the timers (used by the browser tests to see the warning
// without waiting 28 minutes).  Values in milliseconds.
export function configureTimers(values) {
	Object.assign(timers, values);
	if (session.tick) {
		clearInterval(session.tick);
		session.tick = setInterval(checkSession, timers.tickMs);
	}
}

// The roles of user for page access and navigation: "admin" for platform
// administrators, and the kind of the organization ("buyer" or
// "supplier") the session acts for.
export function rolesOf(user) {
	const roles = new Set();
	if (!user) {
		return roles;
	}
	if (user.is_admin) {
		roles.add("admin");
	}
	if (user.organization && user.organization.kind) {
		roles.add(user.organization.kind);
	}
	return roles;
}

// Load the signed-in user with GET /api/v1/me.  Resolves to the user, or
// null when no session is alive (after one refresh attempt).
export async function loadUser() {
	let user = null;
	// Login sets the readable CSRF cookie beside the HttpOnly session
	// cookie, and logout deletes both: without it there is no session to
	// ask about, and the visitor's page makes no request that fails.
	if (!readCookie(CSRF_COOKIE)) {
		forgetSession();
		return null;
	}
	try {
		user = await api.get("/api/v1/me", { anonymous: true });
	} catch (error) {
		if (!(error instanceof ApiError) || error.status !== 401) {
			throw error;
		}
		if (await refreshSession()) {
			user = await api.get("/api/v1/me", { anonymous: true });
		}
	}
	if (user) {
		startSession(user);
	} else {
		forgetSession();
	}
	return user;
}

// Record a new session after login, MFA or a restored page load.
export function startSession(user) {
	session.user = user;
	const now = Date.now();
	session.lastContact = now;
	session.tokenIssued = now;
	session.lastActivity = now;
	if (!session.tick) {
		session.tick = setInterval(checkSession, timers.tickMs);
	}
}

// Forget the user and stop the timers, for example when the server has
// ended the session by itself (account deletion).
export function forgetSession() {
	// Without the readable CSRF cookie the next page load finds no
	// session and sends no request about it (see loadUser).  The
	// HttpOnly session cookie stays until the server replaces it, but it
	// names an ended session.
	document.cookie = CSRF_COOKIE + "=; Path=/; Max-Age=0; Secure; SameSite=Strict";
	session.user = null;
	clearInterval(session.tick);
	session.tick = null;
	closeWarning();
}

// Sign out on the server and go to the login page.
export async function signOut() {
	try {
		await api.post("/api/v1/auth/logout");
	} finally {
		forgetSession();
		navigate("/login?notice=signed_out");
	}
}

// The session ended on the server: forget the user and show the login
// page with the reason ("idle" or "ended").
export function endSession(reason) {
	if (!session.user) {
		return;
	}
	forgetSession();
	const back = location.pathname + location.search;
	navigate("/login?notice=" + reason + "&next=" + encodeURIComponent(back));
}

async function refreshNow() {
	if (await refreshSession()) {
		session.lastContact = Date.now();
		session.tokenIssued = session.lastContact;
		closeWarning();
		return true;
	}
	endSession(idleFor() >= timers.idleMs ? "idle" : "ended");
	return false;
}

function idleFor() {
	return Date.now() - session.lastContact;
}

async function checkSession() {
	if (!session.user) {
		return;
	}
	const now = Date.now();
	const activeSinceContact = session.lastActivity > session.lastContact;
	const tokenAge = now - session.tokenIssued;

	if (activeSinceContact && (now - session.lastContact >= timers.keepAliveMs ||
	    tokenAge >= timers.tokenTtlMs - 2 * timers.tickMs)) {
		await refreshNow();
		return;
	}
	if (idleFor() >= timers.idleMs) {
		// The server ends an idle session by itself.  Logging out as
		// well makes sure it has ended when this page shows so.
		api.post("/api/v1/auth/logout", undefined, { anonymous: true }).catch(() => {});
		endSession("idle");
		return;
	}
	if (idleFor() >= timers.idleMs - timers.warnMs) {
		showWarning();
	}
}

function remainingText() {
	const seconds = Math.max(0, Math.round((timers.idleMs - idleFor()) / 1000));
	const minutes = Math.floor(seconds / 60);
	return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

function showWarning() {
	if (session.warning) {
		replace(session.warning.querySelector(".remaining"), remainingText());
		return;
	}
	const stay = el("button", { type: "button", class: "button button-primary",
		on: { click: () => refreshNow() } }, "Stay signed in");
	const leave = el("button", { type: "button", class: "button",
		on: { click: () => signOut() } }, "Sign out");
	session.warning = el("dialog", { class: "idle-warning", "aria-labelledby": "idle-title" },
		el("h2", { id: "idle-title" }, "Are you still there?"),
		el("p", null, "You have been inactive. For your security you will be signed out in ",
			el("strong", { class: "remaining" }, remainingText()), "."),
		el("div", { class: "actions" }, stay, leave));
	document.body.appendChild(session.warning);
	session.warning.showModal();
	stay.focus();
}

function closeWarning() {
	if (session.warning) {
		session.warning.close();
		session.warning.remove();
		session.warning = null;
	}
}

function noteActivity() {
	session.lastActivity = Date.now();
}

// Connect the API client's hooks and the activity listeners.
export function installSessionHandling() {
	setHooks({
		sessionEnded: () => endSession(idleFor() >= timers.idleMs ? "idle" : "ended"),
		restricted: async (code) => {
			// A login that returned a restricted session has set the
			// cookies but not loaded the user yet.
			if (!session.user) {
				await loadUser();
			}
			const target = code === "acceptance_required" ? "/accept-terms" :
				"/account/security?notice=mfa_enrollment";
			// A page that made the request from the target itself stays.
			if (!target.startsWith(location.pathname)) {
				navigate(target, { replace: true });
			}
		},
		contact: () => {
			session.lastContact = Date.now();
		},
	});
	for (const name of ACTIVITY_EVENTS) {
		document.addEventListener(name, noteActivity, { passive: true, capture: true });
	}
}
