/**
 * Reads an HTML report back the strict way, without a browser: the style and script bodies are
 * taken out, then every `<` must open a tag this report writes, with attributes it writes; the
 * text between tags, its entities decoded, is what a reader sees.
 */
import {createHash} from 'node:crypto';

/** Every element the report writes. */
const TAGS = new Set(
	'html head meta title style body header h1 h2 h3 p br nav a section div b span i dl dt dd figure figcaption svg line text rect g polygon table thead tbody tr th td colgroup col article time pre code button footer script bdi'.split(' '),
);
/** Every attribute the report writes (data-* aside). */
const ATTRS = new Set(
	'lang dir charset http-equiv content name class id href viewBox role aria-labelledby x y x1 x2 y1 y2 width height text-anchor points datetime type'.split(' '),
);

export type Scan = {
	/** Tags or attributes the report never writes, `<` that opens no tag, hrefs that leave the page. */
	problems: string[];
	styles: string[];
	scripts: string[];
	/** The policy of a CSP <meta> that comes before anything but <html>, <head> and other <meta>s. */
	csp: string | undefined;
	/** The text a reader sees, entities decoded, tags gone. */
	text: string;
	/** Tag names in order. */
	tags: string[];
};

const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"};

/** Decodes the entities the report writes (numeric and the five named ones). */
export function decodeEntities(s: string): string {
	return s.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (_, e: string) => (e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITIES[e.toLowerCase()]!));
}

/** The CSP source for a text: 'sha256-BASE64'. */
export function cspHash(text: string): string {
	return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export function scanHtml(html: string): Scan {
	const styles: string[] = [];
	const scripts: string[] = [];
	const body = html
		.replace(/<style>([\s\S]*?)<\/style>/g, (_, css: string) => (styles.push(css), '<style></style>'))
		.replace(/<script>([\s\S]*?)<\/script>/g, (_, js: string) => (scripts.push(js), '<script></script>'));
	const problems: string[] = [];
	const tags: string[] = [];
	const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"<>]*")?)*)\s*(\/?)>/y;
	let text = '';
	let csp: string | undefined;
	let i = 0;
	while (i < body.length) {
		const lt = body.indexOf('<', i);
		if (lt < 0) {
			text += body.slice(i);
			break;
		}
		text += body.slice(i, lt);
		if (body.startsWith('<!doctype html>', lt)) {
			i = lt + '<!doctype html>'.length;
			continue;
		}
		tag.lastIndex = lt;
		const m = tag.exec(body);
		if (!m) {
			problems.push(`stray < at ${lt}: ${body.slice(lt, lt + 60)}`);
			i = lt + 1;
			continue;
		}
		const [, close, name, attrs] = m;
		if (!TAGS.has(name!)) problems.push(`tag <${name}>`);
		if (!close) tags.push(name!);
		for (const a of attrs!.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?/g)) {
			const [, an, av = ''] = a;
			if (!ATTRS.has(an!) && !an!.startsWith('data-')) problems.push(`attribute ${an} on <${name}>`);
			if (an === 'href' && !/^#[a-z0-9-]+$/.test(av)) problems.push(`href ${av}`);
			if (name === 'meta' && an === 'content' && attrs!.includes('http-equiv="Content-Security-Policy"') && tags.every((t) => t === 'html' || t === 'head' || t === 'meta')) csp = decodeEntities(av);
		}
		// A space or a line break between tags is layout; text is what a reader reads.
		if (/^(td|th|dd|dt|p|h[1-3]|li|tr|br|div|figcaption|pre)$/.test(name!)) text += ' ';
		i = lt + m[0].length;
	}
	return {problems, styles, scripts, csp, text: decodeEntities(text), tags};
}
