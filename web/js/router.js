// router.js - the page registry and the history-based router.
//
// A page is one module under js/pages/ that calls definePage(); the module
// is imported by js/pages/index.js.  nginx serves index.html for every
// page path, so a reload or a link from a mail opens the same page.

const pages = [];
let renderCurrent = () => {};

// Register a page.  page fields:
//   path    "/rfqs/:id" style pattern; ":name" matches one path segment
//   title   the document title, or a function of the context
//   access  "public" (anyone), "guest" (only signed out; signed-in users
//           go to the dashboard), "user" (signed in), or an array of roles
//           among "buyer", "supplier", "admin"
//   nav     optional {label, order, roles}: a header link for signed-in
//           users of those roles ("buyer", "supplier", "admin"; all when
//           absent), sorted by order
//   render  async function (ctx) that fills ctx.main; see app.js for ctx
export function definePage(page) {
	const names = [];
	const source = page.path.replace(/\/:([A-Za-z_]+)/g, (match, name) => {
		names.push(name);
		return "/([^/]+)";
	});
	pages.push({ ...page, pattern: new RegExp("^" + source + "/?$"), names });
}

// Find the page for pathname; returns {page, params} or null.
export function matchPage(pathname) {
	for (const page of pages) {
		const found = page.pattern.exec(pathname);
		if (found) {
			const params = {};
			page.names.forEach((name, index) => {
				params[name] = decodeURIComponent(found[index + 1]);
			});
			return { page, params };
		}
	}
	return null;
}

// The pages that have a header link.
export function navPages() {
	return pages.filter((page) => page.nav).sort((a, b) => a.nav.order - b.nav.order);
}

// Install the function that shows the page for the current location.
export function setRenderer(render) {
	renderCurrent = render;
}

// Go to url (a path with optional query and fragment) inside the app.
// replace: replace the history entry instead of adding one.
export function navigate(url, { replace = false } = {}) {
	if (replace) {
		history.replaceState(null, "", url);
	} else {
		history.pushState(null, "", url);
	}
	renderCurrent();
}

// Show the current page again, as after a navigation.
export function reload() {
	renderCurrent();
}

function isAppLink(anchor, event) {
	if (event.defaultPrevented || event.button !== 0 || event.metaKey ||
	    event.ctrlKey || event.shiftKey || event.altKey) {
		return false;
	}
	if (anchor.target || anchor.hasAttribute("download")) {
		return false;
	}
	const url = new URL(anchor.href, location.href);
	return url.origin === location.origin && !url.pathname.startsWith("/api/");
}

// Handle clicks on same-origin links and the back and forward buttons.
export function startRouter() {
	document.addEventListener("click", (event) => {
		const anchor = event.target.closest("a[href]");
		if (!anchor || !isAppLink(anchor, event)) {
			return;
		}
		event.preventDefault();
		const url = new URL(anchor.href, location.href);
		navigate(url.pathname + url.search + url.hash);
	});
	window.addEventListener("popstate", () => renderCurrent());
}
