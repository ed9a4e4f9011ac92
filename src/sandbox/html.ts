/** Escapes text for HTML element content and double-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A bare page for the simulators: no scripts, so a strict CSP holds. */
export function simPage(title: string, body: string, lang = 'ru'): string {
  return `<!doctype html><html lang="${esc(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>
body{font-family:system-ui,sans-serif;max-width:26rem;margin:1rem auto;padding:0 1rem;background:#f4f6fa;color:#1b2330}
.box{background:#fff;border-radius:10px;padding:1rem 1.2rem;box-shadow:0 1px 4px #0002}label{display:block;margin:.6rem 0 .2rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem;border:1px solid #aab;border-radius:6px}
button{margin-top:1rem;padding:.65rem 1rem;font-size:1rem;border:0;border-radius:6px;background:#2456c8;color:#fff;width:100%}
button.secondary{background:#e4e7ee;color:#1b2330}small,.muted{color:#667}table{font-size:.85rem}code{font-size:.85rem}h1{font-size:1.2rem}
</style></head><body><div class="box">${body}</div></body></html>`;
}

export const SIM_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'";
