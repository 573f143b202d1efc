// app.js - show the result of GET /api/health/live on the placeholder page.
// Loaded from a file because the Content-Security-Policy forbids inline
// scripts.
"use strict";

function showStatus(text, kind) {
	const element = document.getElementById("status");
	element.textContent = text;
	element.className = "status status-" + kind;
}

async function checkHealth() {
	try {
		const response = await fetch("/api/health/live", {
			headers: { "Accept": "application/json" },
			cache: "no-store",
		});
		const body = await response.json();
		if (response.ok && body.status === "ok") {
			showStatus("ok", "ok");
		} else {
			showStatus("HTTP " + response.status, "down");
		}
	} catch (error) {
		showStatus("unreachable (" + error.message + ")", "down");
	}
}

document.addEventListener("DOMContentLoaded", checkHealth);
