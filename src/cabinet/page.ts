import { formatAmount } from '../domain/money.ts';
import { isoLocal } from '../domain/time.ts';
import type { Page } from '../web/pages.ts';
import { withParam } from '../web/panel.ts';
import { CABINET_LANGUAGES, CABINET_TEXTS, isCabinetTextKey, type CabinetLang, type CabinetTextKey } from './i18n.ts';

/** What every cabinet page's layout needs; the markup is in views/*.eta (auto-escaped). */
export type CabinetNav = 'home' | 'tokens' | 'ip' | 'payments' | 'registries';
const NAV: { key: CabinetNav; href: string }[] = [
  { key: 'home', href: '/cabinet/' }, { key: 'tokens', href: '/cabinet/tokens' }, { key: 'ip', href: '/cabinet/ip' }, { key: 'payments', href: '/cabinet/payments' },
  { key: 'registries', href: '/cabinet/registries' },
];

export interface CabinetView {
  lang: CabinetLang;
  path: string;
  who: { login: string; agentId: bigint } | undefined;
  csrf: string;
  idleMs: number;
  offsetMinutes: number;
  current?: CabinetNav;
  flash: { kind: 'ok' | 'error'; text: string } | undefined;
}

export function text(lang: CabinetLang, key: CabinetTextKey): string {
  return CABINET_TEXTS[lang][key];
}

/** `?ok=…` / `?err=…` after a redirect: only known texts, never the parameter itself. */
export function flashOf(query: Record<string, string>, lang: CabinetLang): CabinetView['flash'] {
  const err = `err_${query['err'] ?? ''}`;
  if (query['err'] && isCabinetTextKey(err)) return { kind: 'error', text: text(lang, err) };
  const ok = `ok_${query['ok'] ?? ''}`;
  if (query['ok'] && isCabinetTextKey(ok)) return { kind: 'ok', text: text(lang, ok) };
  return undefined;
}

export function cabinetPage(ctx: CabinetView, view: string, title: string, data: Record<string, unknown>): Page {
  const langs = CABINET_LANGUAGES.map((lang) => ({ lang, href: withParam(ctx.path, 'lang', lang), name: CABINET_TEXTS[lang].lang_name, current: lang === ctx.lang }));
  return {
    view,
    data: {
      ...data, lang: ctx.lang, langs, title, who: ctx.who, csrf: ctx.csrf, idleMs: ctx.idleMs, flash: ctx.flash,
      nav: ctx.who ? NAV.map((n) => ({ ...n, current: n.key === ctx.current })) : [],
      t: (key: string) => (isCabinetTextKey(key) ? text(ctx.lang, key) : key),
      money: (minor: bigint | null | undefined) => (minor === null || minor === undefined ? '' : formatAmount(minor)),
      time: (at: Date | null | undefined) => (at ? isoLocal(at, ctx.offsetMinutes).replace('T', ' ').slice(0, 19) : ''),
    },
  };
}

export function errorPage(ctx: CabinetView, message: string): Page {
  return cabinetPage(ctx, 'error', text(ctx.lang, 'cabinet'), { message });
}
