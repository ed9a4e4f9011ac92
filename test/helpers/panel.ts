/**
 * A browser-less client of the console and the cabinet for HTTP-level tests: it keeps cookies, reads the CSRF token
 * from the pages' hidden fields, and never follows redirects (the tests assert them).
 */
export class PanelClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string, readonly prefix: '/console' | '/cabinet') {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string): Promise<{ status: number; text: string; location: string | null; headers: Headers }> {
    const response = await fetch(`${this.base}${this.prefix}${path}`, { headers: { cookie: this.cookieHeader }, redirect: 'manual' });
    this.keep(response);
    return { status: response.status, text: await response.text(), location: response.headers.get('location'), headers: response.headers };
  }

  async post(path: string, fields: Record<string, string>, options: { csrf?: boolean } = {}): Promise<{ status: number; text: string; location: string | null }> {
    const body = new URLSearchParams(fields);
    if (options.csrf !== false && !('_csrf' in fields)) body.set('_csrf', this.csrf ?? '');
    const response = await fetch(`${this.base}${this.prefix}${path}`, {
      method: 'POST', body, headers: { cookie: this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual',
    });
    this.keep(response);
    return { status: response.status, text: await response.text(), location: response.headers.get('location') };
  }

  /** The CSRF token the server put into this session's forms. */
  get csrf(): string | undefined {
    return this.cookies.get(this.prefix === '/console' ? 'tolem_console_csrf' : 'tolem_cabinet_csrf');
  }

  async login(login: string, password: string, totp?: string): Promise<{ status: number; location: string | null; text: string }> {
    const page = await this.get('/login');
    const csrf = /name="_csrf" value="([^"]*)"/.exec(page.text)?.[1] ?? '';
    return this.post('/login', { _csrf: csrf, login, password, ...(totp ? { totp } : {}) });
  }
}
