// Styles every panel and widget shares: type, tables, form controls, buttons, errors. Each
// theme variable has a light default, so a widget embedded in another page looks right
// without the playground's style.css; that page can set the --qp-* variables to restyle it.
import { css } from 'lit';

export const sharedStyles = css`
  :host { display: block; color: var(--qp-text, #1d1f24); }
  h2 { font-size: 1.1rem; margin: 0 0 0.6rem; }
  h3 { font-size: 0.95rem; margin: 0.8rem 0 0.4rem; }
  p { margin: 0.3rem 0; }
  .muted { color: var(--qp-muted, #5b6170); font-size: 0.9rem; }
  table { border-collapse: collapse; font-size: 0.9rem; margin: 0.3rem 0 0.6rem; }
  caption { text-align: left; font-weight: 600; padding-bottom: 0.2rem; }
  th, td { padding: 0.2rem 0.6rem 0.2rem 0; text-align: left; border-bottom: 1px solid var(--qp-border, #d9dce3); }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  label { display: inline-flex; gap: 0.35rem; align-items: center; margin: 0.15rem 0.8rem 0.15rem 0; }
  input, select, button { font: inherit; color: inherit; }
  input[type='number'], input[type='text'], input[type='search'], select {
    background: var(--qp-panel, #ffffff); border: 1px solid var(--qp-border, #d9dce3); border-radius: 4px; padding: 0.15rem 0.35rem;
  }
  input[type='number'] { width: 5.5rem; }
  button {
    background: var(--qp-panel, #ffffff); border: 1px solid var(--qp-border, #d9dce3); border-radius: 6px; padding: 0.3rem 0.8rem; cursor: pointer;
  }
  button.primary { background: var(--qp-accent, #2459d6); color: var(--qp-accent-text, #ffffff); border-color: var(--qp-accent, #2459d6); font-weight: 600; }
  button:disabled { opacity: 0.5; cursor: default; }
  :focus-visible { outline: 2px solid var(--qp-accent, #2459d6); outline-offset: 2px; }
  .error { color: var(--qp-bad, #c22f2f); white-space: pre-wrap; }
  .ok { color: var(--qp-good, #1f8a4c); }
  .row { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; align-items: center; }
  fieldset { border: 1px solid var(--qp-border, #d9dce3); border-radius: var(--qp-radius, 8px); margin: 0.5rem 0; padding: 0.4rem 0.8rem; }
  legend { font-weight: 600; font-size: 0.9rem; }
`;

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
