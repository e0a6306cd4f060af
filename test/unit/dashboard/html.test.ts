import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../../src/dashboard/render/html.js';

describe('html templates', () => {
  it('escape every interpolated value, in content and in attributes', () => {
    const hostile = `"><script>alert('x')</script>&\``;
    const out = html`<a title="${hostile}">${hostile}</a>`.text;
    expect(out).not.toContain('<script>');
    expect(out).toBe(`<a title="${escapeHtml(hostile)}">${escapeHtml(hostile)}</a>`);
    expect(escapeHtml(hostile)).toBe('&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;');
  });

  it('nest fragments unescaped and join arrays; null, undefined and false print nothing', () => {
    const items = ['<b>', 'ok'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.text).toBe('<ul><li>&lt;b&gt;</li><li>ok</li></ul>0');
  });
});
