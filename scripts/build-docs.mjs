// Renders the guide (docs/guide/*.md), docs/embedding.md and docs/ops.md (with the table of
// supported ops that the built wasm module gives) into pages of the built site (build/web/docs/),
// each loading the widgets with the one script tag any page would use, and copies
// docs/embed-test.html (a page that embeds widgets beside its own content).
//   node scripts/build-docs.mjs   (run by `make web` after Vite)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { marked } from 'marked';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'build/web/docs');
const template = fs.readFileSync(path.join(root, 'docs/page-template.html'), 'utf8');

const guide = fs.readdirSync(path.join(root, 'docs/guide')).filter((f) => f.endsWith('.md')).sort();
const pages = [...guide.map((f) => ({ source: path.join('docs/guide', f), name: f.replace(/\.md$/, '.html') })),
  { source: 'docs/embedding.md', name: 'embedding.html' }, { source: 'docs/ops.md', name: 'ops.html' }];

// docs/ops.md's {{supported-ops}} is the registry's table, from the module the page runs.
const wasm = path.join(root, 'build/wasm');
const qplay = await createRequire(import.meta.url)(path.join(wasm, 'qplay.js'))({ wasmBinary: fs.readFileSync(path.join(wasm, 'qplay.wasm')) });
const markdownOf = (source) => fs.readFileSync(path.join(root, source), 'utf8').replace('{{supported-ops}}', () => qplay.supportedOpsTable());

const titleOf = (markdown) => /^#\s+(.+)$/m.exec(markdown)?.[1] ?? 'qplay';
// Links between the Markdown files become links between the pages.
const relink = (html) => html.replace(/href="(?:\.\.\/)?(?:guide\/)?([\w-]+)\.md(#[\w-]*)?"/g, 'href="$1.html$2"');

const nav = pages.map((p) => {
  const title = titleOf(markdownOf(p.source));
  return `<li><a href="${p.name}">${title}</a></li>`;
}).join('\n');

fs.mkdirSync(out, { recursive: true });
for (const page of pages) {
  const markdown = markdownOf(page.source);
  const html = template.replaceAll('{{title}}', titleOf(markdown)).replace('{{nav}}', nav).replace('{{content}}', relink(marked.parse(markdown)));
  fs.writeFileSync(path.join(out, page.name), html);
}
fs.copyFileSync(path.join(root, 'docs/embed-test.html'), path.join(out, 'embed-test.html'));
console.log(`docs: ${pages.length} pages in ${path.relative(root, out)}`);
