// Renders the guide (docs/guide/*.md) and docs/embedding.md into pages of the built site
// (build/web/docs/), each loading the widgets with the one script tag any page would use, and
// copies docs/embed-test.html (a page that embeds widgets beside its own content).
//   node scripts/build-docs.mjs   (run by `make web` after Vite)
import fs from 'node:fs';
import path from 'node:path';
import { marked } from 'marked';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'build/web/docs');
const template = fs.readFileSync(path.join(root, 'docs/page-template.html'), 'utf8');

const guide = fs.readdirSync(path.join(root, 'docs/guide')).filter((f) => f.endsWith('.md')).sort();
const pages = [...guide.map((f) => ({ source: path.join('docs/guide', f), name: f.replace(/\.md$/, '.html') })),
  { source: 'docs/embedding.md', name: 'embedding.html' }];

const titleOf = (markdown) => /^#\s+(.+)$/m.exec(markdown)?.[1] ?? 'qplay';
// Links between the Markdown files become links between the pages.
const relink = (html) => html.replace(/href="(?:\.\.\/)?(?:guide\/)?([\w-]+)\.md(#[\w-]*)?"/g, 'href="$1.html$2"');

const nav = pages.map((p) => {
  const title = titleOf(fs.readFileSync(path.join(root, p.source), 'utf8'));
  return `<li><a href="${p.name}">${title}</a></li>`;
}).join('\n');

fs.mkdirSync(out, { recursive: true });
for (const page of pages) {
  const markdown = fs.readFileSync(path.join(root, page.source), 'utf8');
  const html = template.replaceAll('{{title}}', titleOf(markdown)).replace('{{nav}}', nav).replace('{{content}}', relink(marked.parse(markdown)));
  fs.writeFileSync(path.join(out, page.name), html);
}
fs.copyFileSync(path.join(root, 'docs/embed-test.html'), path.join(out, 'embed-test.html'));
console.log(`docs: ${pages.length} pages in ${path.relative(root, out)}`);
