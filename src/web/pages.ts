import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Server-rendered pages, shared by the checkout and the simulators: eta templates with auto-escaping (`<%= %>` always
 * goes through escapeHtml; `<%~ %>` is raw and used only for a layout's already-rendered body), and CSS/JS as real files
 * served by @fastify/static, so a strict CSP (no inline scripts or styles) holds.
 */

/** Escapes text for HTML element content and double-quoted attribute values (numeric references, backtick included). */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The one template engine configuration: escaping on, no whitespace trimming (the markup is written as sent). */
export function createEta(views: string): Eta {
  return new Eta({ views, autoEscape: true, escapeFunction: escapeHtml, autoTrim: false, cache: true, defaultExtension: '.eta' });
}

/** A page to send: a template of the plugin's views folder and its data. */
export interface Page {
  view: string;
  data: Record<string, unknown>;
}

export interface PagesOptions {
  /** Absolute path of the templates folder. */
  views: string;
  /**
   * Absolute path of the static files folder, served at `prefix` (relative to the plugin's own prefix); several folders
   * are searched in order (a plugin's own files, the shared panel files, a library's dist folder in node_modules).
   */
  assets: string | string[];
  prefix: string;
}

/** Registers the views (reply.view) and the static files in the calling plugin's own (encapsulated) context. */
export async function registerPages(app: FastifyInstance, options: PagesOptions): Promise<void> {
  await app.register(fastifyView, { engine: { eta: createEta(options.views) }, root: options.views, production: true });
  // wildcard: false serves exactly the files present at start; any other path is the plugin's own 404 page.
  await app.register(fastifyStatic, {
    root: options.assets, prefix: options.prefix, wildcard: false, index: false, dotfiles: 'deny',
    // The type JavaScript is served as before (RFC 9239), not the legacy application/javascript.
    setHeaders: (reply: FastifyReply, path: string) => {
      if (path.endsWith('.js')) reply.header('content-type', 'text/javascript; charset=utf-8');
    },
  });
}

/** Renders a page and sends it as HTML with the given status. */
export async function sendPage(reply: FastifyReply, code: number, page: Page): Promise<FastifyReply> {
  const body = await reply.viewAsync(page.view, page.data);
  return reply.code(code).type('text/html; charset=utf-8').send(body);
}
