// Riser's HTTP API with one credential: a JWT goes as `Authorization: Bearer`, anything
// else as `x-api-key` (the LangGraph SDK's header). Errors are `{error, message}`: callers
// branch on `code`, never on the message.

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || `http_${status}`;
    this.body = body;
  }
}

export class Api {
  constructor(credential) {
    this.credential = credential;
    this.isJwt = JWT.test(credential);
  }

  /** The headers that carry the credential (never a URL: tokens in URLs end up in logs). */
  headers(extra = {}) {
    return { ...extra, ...(this.isJwt ? { authorization: `Bearer ${this.credential}` } : { 'x-api-key': this.credential }) };
  }

  async json(method, path, body, { signal } = {}) {
    const response = await fetch(path, {
      method,
      signal,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  me() {
    return this.json('GET', '/chat/me');
  }

  assistants() {
    return this.json('POST', '/assistants/search', { limit: 100 });
  }

  threads() {
    return this.json('POST', '/threads/search', { limit: 50, sort_by: 'updated_at', sort_order: 'desc' });
  }

  thread(threadId) {
    return this.json('GET', `/chat/threads/${encodeURIComponent(threadId)}`);
  }

  pendingApprovals() {
    return this.json('GET', '/chat/approvals');
  }

  decide(threadId, interruptId, decision) {
    return this.json('POST', `/chat/threads/${encodeURIComponent(threadId)}/approvals/${encodeURIComponent(interruptId)}`, decision);
  }
}
