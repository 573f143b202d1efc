// pages/admin-users.js - the administrators' list of accounts with lock
// and unlock.

import { api } from "../api.js";
import { el, formatTime } from "../dom.js";
import { pageHeading } from "../layout.js";
import { definePage, reload } from "../router.js";
import { actionButton, confirmed, pagedList, table } from "../sourcing.js";

export function yesNo(flag) {
	return flag ? "Yes" : "No";
}

// A button that locks or unlocks the account "user" and reloads the page.
export function lockButton(ctx, user) {
	const action = user.locked ? "unlock" : "lock";
	const label = [user.locked ? "Unlock" : "Lock",
		el("span", { class: "visually-hidden" }, " " + user.email)];
	return actionButton(label, { container: ctx.main,
		className: user.locked ? "button" : "button button-danger" }, async () => {
		if (action === "lock" && !confirmed("Lock " + user.email +
			"? Every session of the account ends and it cannot sign in until unlocked.")) {
			return;
		}
		await api.post("/api/v1/admin/users/" + user.id + "/" + action);
		reload();
	});
}

definePage({
	path: "/admin/users",
	title: "Users",
	access: ["admin"],
	nav: { label: "Admin", order: 80, roles: ["admin"] },
	async render(ctx) {
		pageHeading(ctx.main, "Users",
			"Locking an account ends its sessions at once; unlocking also lifts the lock after failed logins.");
		ctx.main.append(el("p", null, el("a", { href: "/admin/audit" }, "Audit log"), " · ",
			el("a", { href: "/admin/access-review" }, "Access review"), " · ",
			el("a", { href: "/admin/incidents" }, "Incidents")));
		ctx.main.append(await pagedList(
			(cursor) => api.get("/api/v1/admin/users", { query: { limit: 50, cursor } }),
			(items) => table({ caption: "Accounts",
				headers: ["Name", "E-mail", "Administrator", "MFA", "Locked", "Last login", "Action"],
				rows: items.map((user) => [user.full_name || "", user.email || "", yesNo(user.is_admin),
					yesNo(user.mfa_enabled), yesNo(user.locked),
					user.last_login_at ? formatTime(user.last_login_at) : "Never",
					lockButton(ctx, user)]),
				empty: "No account." })));
	},
});
