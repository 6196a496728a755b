export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small JSON client for one base URL and credential, as a service calling Riser would be. */
export function jsonClient(baseUrl: string, headers: Record<string, string> = {}) {
  const call = async <T = any>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<JsonResponse<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers, ...extra },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: the text as it came.
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
  return {
    get: <T = any>(path: string, extra?: Record<string, string>) => call<T>('GET', path, undefined, extra),
    post: <T = any>(path: string, body?: unknown, extra?: Record<string, string>) => call<T>('POST', path, body ?? {}, extra),
    patch: <T = any>(path: string, body?: unknown, extra?: Record<string, string>) => call<T>('PATCH', path, body ?? {}, extra),
    delete: <T = any>(path: string, extra?: Record<string, string>) => call<T>('DELETE', path, undefined, extra),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
