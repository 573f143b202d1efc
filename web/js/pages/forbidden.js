// pages/forbidden.js - the page for a signed-in user who opened a page of
// another role.

import { el } from "../dom.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";

definePage({
	path: "/forbidden",
	title: "Not available",
	access: "user",
	render(ctx) {
		pageHeading(ctx.main, "This page is not available to you");
		ctx.main.append(el("p", null, "Your account has no access to that page. ",
			el("a", { href: "/dashboard" }, "Go to your dashboard"), "."));
	},
});
