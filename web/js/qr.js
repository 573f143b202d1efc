// qr.js - draw the QR code of TOTP enrolment from the server's qr_svg.
//
// The server's SVG is one white <rect> and one black <path> whose "d" holds
// only "M x y h w v 1 h -w z" runs.  Instead of inserting the SVG markup,
// this parses it as XML (DOMParser runs no script), checks that the path
// data has only those commands and numbers, and draws a new SVG with the
// DOM helper.  A data: or blob: image would need a looser CSP (img-src).

import { svg } from "./dom.js";

const PATH_DATA = /^[MmHhVvZz0-9 ,.-]*$/;
const VIEW_BOX = /^0 0 \d{1,4} \d{1,4}$/;

// Build the QR code as an <svg> element with label as its accessible name.
// Throws when qr_svg does not have the expected shape.
export function qrCodeElement(qrSvg, label) {
	const parsed = new DOMParser().parseFromString(qrSvg, "image/svg+xml");
	const root = parsed.documentElement;
	const path = root.querySelector("path");
	const viewBox = root.getAttribute("viewBox") || "";
	const data = path ? path.getAttribute("d") || "" : "";
	if (root.localName !== "svg" || !VIEW_BOX.test(viewBox) || !PATH_DATA.test(data)) {
		throw new Error("the QR code from the server has an unexpected form");
	}
	const size = viewBox.split(" ")[2];
	return svg("svg", { viewBox, class: "qr-code", role: "img", "aria-label": label,
		"shape-rendering": "crispEdges" },
	svg("rect", { width: size, height: size, fill: "#ffffff" }),
	svg("path", { d: data, fill: "#000000" }));
}
