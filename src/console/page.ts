import { formatAmount } from '../domain/money.ts';
import { isoLocal } from '../domain/time.ts';
import type { Page } from '../web/pages.ts';
import { withParam } from '../web/panel.ts';
import { CONSOLE_LANGUAGES, CONSOLE_TEXTS, isConsoleTextKey, type ConsoleLang, type ConsoleTextKey } from './i18n.ts';

/**
 * What every console page's layout needs (language, the signed-in operator, the menu they may use, the CSRF token
 * for the forms, a flash message after a redirect) and the formatting helpers the templates call. Markup lives in
 * views/*.eta (auto-escaped); data is built by each section's module.
 */

export type NavKey = 'dashboard' | 'payments' | 'registry' | 'agents' | 'approvals' | 'attention' | 'review' | 'operators' | 'audit'
  | 'catalog' | 'reconciliation' | 'proofs';

export interface ViewContext {
  lang: ConsoleLang;
  /** The current path and query without `lang`, for the language links. */
  path: string;
  who: { login: string; role: string } | undefined;
  csrf: string;
  idleMs: number;
  offsetMinutes: number;
  /** The menu entries this operator may open, with counts to show. */
  nav: { key: NavKey; href: string; count?: number }[];
  current?: NavKey;
  /** `?ok=…` / `?err=…` of a redirect after a form: only known texts are shown, never the parameter itself. */
  flash: { kind: 'ok' | 'error'; text: string } | undefined;
}

export function text(lang: ConsoleLang, key: ConsoleTextKey): string {
  return CONSOLE_TEXTS[lang][key];
}

/** The flash of a redirect: `ok=token_confirmed` → the text of `ok_token_confirmed`, unknown keys → nothing. */
export function flashOf(query: Record<string, string>, lang: ConsoleLang): ViewContext['flash'] {
  for (const kind of ['error', 'ok'] as const) {
    const value = query[kind === 'error' ? 'err' : 'ok'];
    const key = `${kind === 'error' ? 'err' : 'ok'}_${value}`;
    if (value && isConsoleTextKey(key)) return { kind, text: text(lang, key) };
  }
  return undefined;
}

export interface PageOptions {
  styles?: string[];
  scripts?: string[];
}

export function consolePage(ctx: ViewContext, view: string, title: string, data: Record<string, unknown>, options: PageOptions = {}): Page {
  const langs = CONSOLE_LANGUAGES.map((lang) => ({ lang, href: withParam(ctx.path, 'lang', lang), name: CONSOLE_TEXTS[lang].lang_name, current: lang === ctx.lang }));
  const nav = ctx.nav.map((n) => ({ ...n, current: n.key === ctx.current }));
  return {
    view,
    data: {
      ...data, lang: ctx.lang, langs, title, who: ctx.who, csrf: ctx.csrf, idleMs: ctx.idleMs, nav, flash: ctx.flash,
      styles: options.styles ?? [], scripts: options.scripts ?? [],
      t: (key: string) => (isConsoleTextKey(key) ? text(ctx.lang, key) : key),
      money: (minor: bigint | null | undefined) => (minor === null || minor === undefined ? '' : formatAmount(minor)),
      time: (at: Date | null | undefined) => (at ? isoLocal(at, ctx.offsetMinutes).replace('T', ' ').slice(0, 19) : ''),
      json: (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2),
    },
  };
}

export function errorPage(ctx: ViewContext, message: string): Page {
  return consolePage(ctx, 'error', text(ctx.lang, 'console'), { message });
}
