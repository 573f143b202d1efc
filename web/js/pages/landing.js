// pages/landing.js - the start page for visitors.

import { el } from "../dom.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";

definePage({
	path: "/",
	title: "B2B sourcing",
	access: "public",
	render(ctx) {
		pageHeading(ctx.main, "Sourcing between companies, in one place");
		ctx.main.append(
			el("p", { class: "intro" },
				"Buyers publish requests for quotation, invite suppliers and compare ",
				"their quotes side by side. Suppliers keep their company profile and ",
				"certificates up to date, answer requests and talk to buyers in private threads."),
			el("div", { class: "actions" },
				ctx.user ?
					el("a", { class: "button button-primary", href: "/dashboard" }, "Go to my dashboard") :
					[el("a", { class: "button button-primary", href: "/register" }, "Create an account"),
						el("a", { class: "button", href: "/login" }, "Sign in")]),
			el("h2", null, "For buyers"),
			el("ul", null,
				el("li", null, "Requests for quotation, public or by invitation, with an NDA when you need one."),
				el("li", null, "Sealed bidding: quotes stay closed until the deadline."),
				el("li", null, "A comparison table and the award in one step.")),
			el("h2", null, "For suppliers"),
			el("ul", null,
				el("li", null, "A profile in the supplier directory with your categories, regions and certificates."),
				el("li", null, "Invitations and open public requests on your dashboard."),
				el("li", null, "Quotes you can revise until the deadline.")));
	},
});
