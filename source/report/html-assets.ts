/**
 * The HTML report's only style sheet and only script, and the Content-Security-Policy that lets
 * exactly these two run: `default-src 'none'` (no request to anywhere, no image, font or frame),
 * the style and the script allowed by their SHA-256 hashes. No style attributes anywhere (CSP
 * would block them): the charts size themselves with SVG attributes.
 */
import {createHash} from 'node:crypto';

/** Light by default, dark when the reader's system is; printed in black on white without buttons. */
export const REPORT_CSS = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6475;--bg:#fff;--panel:#f5f6f8;--line:#d9dde4;--accent:#2557c7;--high:#c62828;--medium:#d97706;--low:#2e7d32;--info:#546e7a;--incog:#7b4fc9}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ec;--muted:#9aa3b2;--bg:#14171c;--panel:#1d2128;--line:#333a45;--accent:#7aa2ff;--high:#ef5350;--medium:#f0a030;--low:#66bb6a;--info:#90a4ae;--incog:#a98be8}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1240px;padding:16px 20px 40px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.sub,.note,figcaption{color:var(--muted)}
nav{display:flex;flex-wrap:wrap;gap:4px 14px;margin:8px 0 4px}nav a{color:var(--accent);text-decoration:none}
bdi,td,dd,pre,code,.summary{overflow-wrap:anywhere;word-break:break-word}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.card b{display:block;font-size:20px}.card span{color:var(--muted);font-size:12px}
.card.alert b{color:var(--high)}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px;margin:8px 0}.flag dl.facts{grid-template-columns:repeat(2,max-content minmax(0,1fr))}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0}
table{border-collapse:collapse;width:100%;table-layout:fixed;margin:6px 0}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;background:var(--panel)}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}.nowrap{white-space:nowrap}figure{margin:0}.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
col.host{width:21%}col.owner{width:10%}col.cat{width:9%}col.geo{width:13%}col.apps{width:13%}col.num{width:7%}col.read{width:8%}col.few{width:5%}
svg{display:block;width:100%;height:auto;font:12px system-ui,sans-serif}
svg text{fill:var(--fg);direction:ltr;unicode-bidi:isolate}svg .muted{fill:var(--muted)}svg .grid{stroke:var(--line)}
svg .bar{fill:var(--accent)}svg .bar.flagged{fill:var(--high)}svg .incog{fill:var(--incog);fill-opacity:.16}svg .incog-edge{stroke:var(--incog)}
svg .sev-high{fill:var(--high)}svg .sev-medium{fill:var(--medium)}svg .sev-low{fill:var(--low)}svg .sev-info{fill:var(--info)}
svg .hbar{fill:var(--accent)}svg a:focus polygon{stroke:var(--fg);stroke-width:2}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;color:var(--muted);font-size:12px;margin:4px 0}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px;background:var(--accent)}
.swatch.flagged{background:var(--high)}.swatch.incog{background:var(--incog);opacity:.4}
.flag{border:1px solid var(--line);border-left:5px solid var(--info);border-radius:6px;padding:8px 12px;margin:10px 0;background:var(--panel);break-inside:avoid}
.flag.sev-high{border-left-color:var(--high)}.flag.sev-medium{border-left-color:var(--medium)}.flag.sev-low{border-left-color:var(--low)}
.flag h3{font-size:14px;margin:0 0 4px}.flag .sev{font-weight:700;text-transform:uppercase;margin-right:6px}
.flag.sev-high .sev{color:var(--high)}.flag.sev-medium .sev{color:var(--medium)}.flag.sev-low .sev{color:var(--low)}
.flag time{color:var(--muted);font-weight:400;margin-left:6px}
pre{white-space:pre-wrap;margin:4px 0;padding:6px 8px;background:var(--bg);border:1px solid var(--line);border-radius:4px;max-height:16em;overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.filter{display:flex;align-items:center;gap:8px;flex-wrap:wrap;margin-top:4px}
.filter code{user-select:all;background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:2px 6px}
button{font:inherit;font-size:12px;padding:2px 10px;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg);cursor:pointer}
footer{margin-top:32px;color:var(--muted);font-size:12px}
@media print{body{max-width:none;padding:0;font-size:11px;color:#000;background:#fff}nav,button{display:none}.flag,figure,tr{break-inside:avoid}h2{break-after:avoid}pre{max-height:none;overflow:visible}.scroll{overflow:visible}}
`;

/**
 * The copy buttons: a button names the element whose text is the filter (data-copy); the script
 * reads that text from the page and never builds code or markup from it. The clipboard API where
 * the browser allows it (file:// is a secure context), else the text is selected for Ctrl+C.
 */
export const REPORT_SCRIPT = `
document.addEventListener('click', function (event) {
	var button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
	if (!button) return;
	var source = document.getElementById(button.getAttribute('data-copy') || '');
	if (!source) return;
	var text = source.textContent || '';
	function said(word) {
		button.textContent = word;
		setTimeout(function () { button.textContent = 'Copy'; }, 1500);
	}
	function select() {
		var range = document.createRange();
		range.selectNodeContents(source);
		var selection = window.getSelection();
		if (selection) { selection.removeAllRanges(); selection.addRange(range); }
		said('Selected: press Ctrl+C');
	}
	if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(function () { said('Copied'); }, select);
	else select();
});
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The policy, as the page's first <meta>: nothing may load or connect; only this style and this script run. */
export const REPORT_CSP = [
	"default-src 'none'",
	`style-src ${sha256(REPORT_CSS)}`,
	`script-src ${sha256(REPORT_SCRIPT)}`,
	"base-uri 'none'",
	"form-action 'none'",
].join('; ');
