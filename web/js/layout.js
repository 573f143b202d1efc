// layout.js - the frame around every page: the skip link, the header with
// the navigation for the user's roles, the main region with its alert
// area, and the footer with the legal links and "Cookie settings".

import { el, replace } from "./dom.js";
import { navPages } from "./router.js";
import { session, rolesOf, signOut } from "./session.js";
import { openCookieSettings } from "./consent.js";

const LEGAL_LINKS = [
	["/legal/terms", "Terms of service"],
	["/legal/privacy", "Privacy notice"],
	["/legal/cookies", "Cookie policy"],
	["/legal/dpa", "Data processing agreement"],
];

function navLink(href, label) {
	const current = location.pathname === href ||
		(href !== "/" && location.pathname.startsWith(href + "/"));
	return el("li", null, el("a", { href: href, "aria-current": current ? "page" : null }, label));
}

function navItems(user) {
	if (!user) {
		return [navLink("/login", "Sign in"), navLink("/register", "Register")];
	}
	const roles = rolesOf(user);
	const links = navPages()
		.filter((page) => !page.nav.roles || page.nav.roles.some((role) => roles.has(role)))
		.map((page) => navLink(page.path, page.nav.label));
	const signOutButton = el("button", { type: "button", class: "link-button",
		on: { click: () => signOut() } }, "Sign out");
	return [...links, el("li", null, signOutButton)];
}

function buildHeader() {
	const user = session.user;
	const menu = el("ul", { id: "site-nav-list", class: "nav-list" }, navItems(user));
	const toggle = el("button", { type: "button", class: "nav-toggle", "aria-expanded": "false",
		"aria-controls": "site-nav-list" }, "Menu");
	toggle.addEventListener("click", () => {
		const open = toggle.getAttribute("aria-expanded") !== "true";
		toggle.setAttribute("aria-expanded", String(open));
		menu.classList.toggle("open", open);
	});
	return el("header", { class: "site-header" },
		el("a", { class: "brand", href: user ? "/dashboard" : "/" }, "SSCN"),
		user ? el("span", { class: "who" }, user.full_name,
			user.organization ? " · " + user.organization.name : null) : null,
		el("nav", { "aria-label": "Main" }, toggle, menu));
}

function buildFooter() {
	return el("footer", { class: "site-footer" },
		el("ul", { class: "footer-links" },
			LEGAL_LINKS.map(([href, label]) => el("li", null, el("a", { href }, label))),
			el("li", null, el("button", { type: "button", class: "link-button cookie-settings",
				on: { click: () => openCookieSettings() } }, "Cookie settings"))),
		el("p", null, "SSCN, the B2B sourcing platform."));
}

// Draw the frame and return the empty main element for the page.  The
// main element contains a ".page-alerts" region at its top for page errors.
export function drawLayout() {
	const root = document.getElementById("app");
	const main = el("main", { id: "main", tabindex: "-1" });
	replace(root,
		el("a", { class: "skip-link", href: "#main" }, "Skip to content"),
		buildHeader(), main, buildFooter());
	return main;
}

// Start a page inside main: its heading and the alert region.  Returns
// the alert region.
export function pageHeading(main, title, ...intro) {
	const alerts = el("div", { class: "page-alerts", "aria-live": "polite" });
	main.append(el("h1", null, title), alerts);
	if (intro.length > 0) {
		main.append(el("p", { class: "intro" }, intro));
	}
	return alerts;
}
