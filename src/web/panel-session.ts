import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clearSessionCookie, CSRF_FIELD, formFields, setSessionCookie, type SessionCookie } from './panel.ts';

/**
 * The session guard of a signed-in panel, engine-free: the panel says how a cookie's token becomes a session and how
 * a CSRF token is checked; the guard sends the browser to the login when there is no live session and refuses a form
 * whose hidden CSRF field is missing or wrong (403) before any handler runs.
 *
 * Two cookies, both HttpOnly and SameSite=Strict on the panel's path: the session token, and the CSRF token the server
 * copies into every form it renders (the store holds only their hashes, so neither is readable from the database).
 */
export interface PanelSessionPort<S> {
  read(token: string): Promise<S | null>;
  csrfOk(session: S, presented: string | undefined): boolean;
}

export interface PanelGuardOptions<S> {
  port: PanelSessionPort<S>;
  cookie: SessionCookie;
  /** The panel's prefix ("/console"): the login is `${prefix}/login`. */
  prefix: string;
  /** Answers a refused form (bad CSRF) with the panel's own error page. */
  refuse(request: FastifyRequest, reply: FastifyReply, status: 403, reason: 'csrf'): Promise<FastifyReply>;
}

export interface SignedIn<S> {
  session: S;
  /** The CSRF token to put into this page's forms. */
  csrf: string;
}

export class PanelGuard<S> {
  constructor(private readonly options: PanelGuardOptions<S>) {}

  get csrfCookie(): SessionCookie {
    return { ...this.options.cookie, name: `${this.options.cookie.name}_csrf` };
  }

  /** After a successful login: both cookies. */
  start(reply: FastifyReply, tokens: { token: string; csrfToken: string }): FastifyReply {
    clearSessionCookie(reply, this.loginCookie);
    setSessionCookie(reply, this.options.cookie, tokens.token);
    return setSessionCookie(reply, this.csrfCookie, tokens.csrfToken);
  }

  end(reply: FastifyReply): FastifyReply {
    clearSessionCookie(reply, this.options.cookie);
    return clearSessionCookie(reply, this.csrfCookie);
  }

  /**
   * The login form's own CSRF token: a random cookie on the login path, repeated in a hidden field, so that no other
   * site can sign a browser in under someone else's account.
   */
  loginToken(reply: FastifyReply): string {
    const token = randomBytes(24).toString('base64url');
    setSessionCookie(reply, this.loginCookie, token);
    return token;
  }

  loginTokenOk(request: FastifyRequest): boolean {
    const cookie = request.cookies[this.loginCookie.name];
    const presented = formFields(request.body)[CSRF_FIELD];
    if (!cookie || !presented || cookie.length !== presented.length) return false;
    return timingSafeEqual(Buffer.from(cookie), Buffer.from(presented));
  }

  private get loginCookie(): SessionCookie {
    return { ...this.options.cookie, name: `${this.options.cookie.name}_login`, path: `${this.options.prefix}/login` };
  }

  token(request: FastifyRequest): string | undefined {
    return request.cookies[this.options.cookie.name];
  }

  /** A page: the live session, or null once a redirect to the login has been sent. */
  async page(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn<S> | null> {
    const session = await this.live(request);
    if (!session) {
      await this.toLogin(request, reply, request.method === 'GET' && this.token(request) === undefined ? undefined : 'session_expired');
      return null;
    }
    return { session, csrf: request.cookies[this.csrfCookie.name] ?? '' };
  }

  /** A form post: a live session and its CSRF token in the hidden field; else the login or a 403. */
  async action(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn<S> | null> {
    const signedIn = await this.page(request, reply);
    if (!signedIn) return null;
    const presented = formFields(request.body)[CSRF_FIELD];
    if (!this.options.port.csrfOk(signedIn.session, presented)) {
      await this.options.refuse(request, reply, 403, 'csrf');
      return null;
    }
    return signedIn;
  }

  private async live(request: FastifyRequest): Promise<S | null> {
    const token = this.token(request);
    return token ? this.options.port.read(token) : null;
  }

  private async toLogin(request: FastifyRequest, reply: FastifyReply, error: 'session_expired' | undefined): Promise<void> {
    const next = request.method === 'GET' ? request.url : this.options.prefix;
    const query = new URLSearchParams({ next, ...(error ? { err: error } : {}) });
    // The dead session's cookies go too: the next login starts clean.
    if (error) this.end(reply);
    await reply.code(303).header('location', `${this.options.prefix}/login?${query.toString()}`).send();
  }
}
