import { html } from './html.js';
import { layout, type Viewer } from './layout.js';

/** A page that only says something: an error (its title and the kernel's message), or how to sign in. */
export function messagePage(title: string, message: string, viewer?: Viewer): string {
  return layout(title, html`<p class="error" id="message">${message}</p><p><a href="/">Back to the deployments</a></p>`, viewer);
}

/**
 * After a sign-in link: a page that moves on to `/` by itself. Not a 303: a
 * link clicked on another site (a chat's web app) makes the whole redirect
 * chain cross-site, and the browser would not send the new SameSite=Strict
 * cookie to `/`; a refresh started by this page is same-site.
 */
export function signedInPage(userId: string): string {
  return layout('Signed in', html`<p id="message">Signed in as ${userId}. <a href="/">Continue to the deployments</a></p>`, undefined, { refreshTo: '/' });
}
