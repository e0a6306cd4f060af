import { html } from './html.js';
import { layout, type Viewer } from './layout.js';

/** A page that only says something: an error (its title and the kernel's message), or how to sign in. */
export function messagePage(title: string, message: string, viewer?: Viewer): string {
  return layout(title, html`<p class="error" id="message">${message}</p><p><a href="/">Back to the deployments</a></p>`, viewer);
}
