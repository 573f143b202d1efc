// app.js - start the web UI: load the session, then show the page that
// the location names, inside the layout.
//
// ctx, the argument of every page's render():
//   main     the page's <main> element, empty
//   params   the path parameters (":id" of the page's path)
//   query    URLSearchParams of the location
//   hash     URLSearchParams of the fragment (mail links carry tokens
//            there, so that they never reach a server log)
//   user     the signed-in user (GET /api/v1/me), or null
//   roles    Set of "admin", "buyer", "supplier"

import "./pages/index.js";
import { el } from "./dom.js";
import { errorBox } from "./errors.js";
import { drawLayout, pageHeading } from "./layout.js";
import { matchPage, navigate, setRenderer, startRouter } from "./router.js";
import { installSessionHandling, loadUser, rolesOf, session } from "./session.js";
import { showBannerIfNeeded } from "./consent.js";

function allowed(page, user) {
	const access = page.access || "public";
	if (access === "public") {
		return true;
	}
	if (access === "guest") {
		return !user;
	}
	if (!user) {
		return false;
	}
	if (access === "user") {
		return true;
	}
	const roles = rolesOf(user);
	return access.some((role) => roles.has(role));
}

let renderCount = 0;

async function renderPage() {
	const count = ++renderCount;
	const found = matchPage(location.pathname);
	const user = session.user;

	if (found && !allowed(found.page, user)) {
		if (!user) {
			const back = location.pathname + location.search;
			navigate("/login?next=" + encodeURIComponent(back), { replace: true });
		} else {
			navigate(found.page.access === "guest" ? "/dashboard" : "/forbidden",
				{ replace: true });
		}
		return;
	}

	const main = drawLayout();
	if (!found) {
		document.title = "Page not found - SSCN";
		pageHeading(main, "Page not found");
		main.append(el("p", null, "There is no page at this address. ",
			el("a", { href: "/" }, "Go to the start page"), "."));
		return;
	}

	const ctx = {
		main,
		params: found.params,
		query: new URLSearchParams(location.search),
		hash: new URLSearchParams(location.hash.slice(1)),
		user,
		roles: rolesOf(user),
	};
	const title = typeof found.page.title === "function" ?
		found.page.title(ctx) : found.page.title;
	document.title = title + " - SSCN";
	try {
		await found.page.render(ctx);
	} catch (error) {
		if (count !== renderCount) {
			return;
		}
		if (error.name !== "ApiError") {
			console.error(error);
		}
		const region = main.querySelector(".page-alerts") || main;
		region.replaceChildren(errorBox(error.name === "ApiError" ? error :
			{ code: "internal_error" }));
	}
	if (count === renderCount && !location.hash) {
		const heading = main.querySelector("h1");
		if (heading) {
			heading.setAttribute("tabindex", "-1");
			heading.focus({ preventScroll: true });
		}
	}
}

async function start() {
	installSessionHandling();
	setRenderer(renderPage);
	startRouter();
	try {
		await loadUser();
	} catch (error) {
		console.warn("session check failed:", error.code || error.message);
	}
	await renderPage();
	showBannerIfNeeded().catch((error) => {
		console.warn("cookie choice check failed:", error.code || error.message);
	});
}

start();
