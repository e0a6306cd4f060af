import { html, type SafeHtml } from './html.js';

/** Who is looking, for the page's header. */
export interface Viewer {
  readonly userId: string;
  /** The form token of this browser session (sign out, actions). */
  readonly csrf: string;
}

/** A whole page: header with the viewer and sign-out, then `body`. Scripts and styles come from /static only (CSP). */
export function layout(title: string, body: SafeHtml, viewer?: Viewer, options: { script?: boolean; refreshTo?: string } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Cloud Engine</title>
<link rel="stylesheet" href="/static/dashboard.css">
${options.refreshTo ? html`<meta http-equiv="refresh" content="0;url=${options.refreshTo}">` : ''}
${options.script ? html`<script src="/static/live-log.js" defer></script>` : ''}
</head>
<body>
<header>
<a class="brand" href="/">Cloud Engine</a>
${
  viewer
    ? html`<nav><a href="/">Deployments</a></nav>
<form class="signout" method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${viewer.csrf}"><span class="who">${viewer.userId}</span> <button type="submit">Sign out</button></form>`
    : ''
}
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.text;
}

/** Monthly cost as people read it. */
export function money(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `$${value.toFixed(2)}/mo`;
}

/** A timestamp in UTC, to the minute. */
export function when(date: Date | null | undefined): string {
  return date ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '—';
}

/** "in 3 h 20 min" / "2 min ago", from `now`. */
export function relative(date: Date, now: Date): string {
  const ms = date.getTime() - now.getTime();
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const text = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}
