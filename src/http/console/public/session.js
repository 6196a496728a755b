// The signed-in credential: kept in sessionStorage (this tab only, gone when it closes),
// never in a URL. A token's expiry sends the page back to sign-in with the reason.

import { Api } from './api.js';

const KEY = 'riser.console.token';

export class Session {
  constructor(onEnded) {
    this.onEnded = onEnded;
    this.api = undefined;
    this.me = undefined;
    this.timer = undefined;
  }

  stored() {
    return sessionStorage.getItem(KEY);
  }

  /** Checks the credential against the server (GET /chat/me) before keeping it; throws ApiError when refused. */
  async signIn(credential) {
    const api = new Api(credential.trim());
    const me = await api.me();
    if (me.expires_at !== null && me.expires_at * 1000 <= Date.now()) throw Object.assign(new Error('this token has expired'), { code: 'token_expired' });
    sessionStorage.setItem(KEY, api.credential);
    this.api = api;
    this.me = me;
    this.watchExpiry();
    return me;
  }

  /** Ends the session; `reason` is shown on the sign-in form. */
  end(reason) {
    if (!this.api) return;
    clearInterval(this.timer);
    sessionStorage.removeItem(KEY);
    this.api = undefined;
    this.me = undefined;
    this.onEnded(reason);
  }

  expired() {
    const expiresAt = this.me?.expires_at;
    return expiresAt !== null && expiresAt !== undefined && Date.now() >= expiresAt * 1000;
  }

  /** A check every second (a single long timer would drift or be throttled in a background tab). */
  watchExpiry() {
    clearInterval(this.timer);
    const expiresAt = this.me?.expires_at;
    if (expiresAt === null || expiresAt === undefined) return;
    this.timer = setInterval(() => this.expired() && this.end('Your token expired. Sign in with a fresh one.'), 1000);
  }
}
