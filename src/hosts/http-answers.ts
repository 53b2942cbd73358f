/**
 * What the Kubernetes and Marathon executors do with an HTTP answer that is not the API's:
 * a proxy's HTML page, truncated or garbage JSON, a redirect (to a login page), a body
 * without end, a server that never answers. Each is a `HostileAnswer` saying what came back
 * in words (never the body, which may echo a credential), so that the executor turns it into
 * its own clear error; credentials are cut out of anything that is shown.
 */

/** No answer of these APIs comes near this (an app with its tasks, a pod list of one pod). */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/** Seconds one request may take, its body included, unless the inventory says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;

export type HostileKind = 'timeout' | 'too-large' | 'redirect' | 'not-json' | 'bad-json' | 'cut-off';

/** An answer that is no answer of the API; `message` is safe to show (no body, no credential). */
export class HostileAnswer extends Error {
  constructor(
    readonly kind: HostileKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HostileAnswer';
  }
}

/** `https://host:port/path` of a URL: no user info, no query (a token may sit in either), no fragment. */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(an unparsable URL)';
  }
}

/** `text` with every credential cut out: each secret (and its base64 and URL-encoded forms) becomes `***`. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 3) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      out = out.split(form).join('***');
    }
  }
  return out;
}

/** Why a status 2xx answer is not JSON of the API, or undefined when it is. */
export function notJson(contentType: string | undefined, text: string, status: number): HostileAnswer | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (text.trim() === '') return undefined;
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    return new HostileAnswer(
      'not-json',
      `answered HTTP ${status} with ${type}${/^\s*</.test(text) ? ' (an HTML page: a proxy, load balancer or login page?)' : ''} instead of JSON`,
      status,
    );
  }
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    return new HostileAnswer(
      'bad-json',
      `answered HTTP ${status} with ${Buffer.byteLength(text)} bytes that are not valid JSON (truncated or garbage)`,
      status,
    );
  }
}

export function redirected(status: number, location: string | undefined | null): HostileAnswer {
  return new HostileAnswer(
    'redirect',
    `answered HTTP ${status}, a redirect${location ? ` to ${displayUrl(new URL(location, 'http://relative.invalid').href).replace('http://relative.invalid', '')}` : ''}, which kafka-ops does not follow (its credentials would go along)`,
    status,
  );
}

export function tooLarge(): HostileAnswer {
  return new HostileAnswer(
    'too-large',
    `answered with more than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, far more than any answer of the API`,
  );
}

export function cutOff(status: number): HostileAnswer {
  return new HostileAnswer('cut-off', `broke its answer (HTTP ${status}) off before its end`, status);
}

export function timedOut(seconds: number): HostileAnswer {
  return new HostileAnswer('timeout', `gave no complete answer within ${seconds} s`);
}

/** What to do about a hostile answer, for the executor's error. */
export function hostileAction(answer: HostileAnswer, setting: string): string {
  switch (answer.kind) {
    case 'redirect':
    case 'not-json':
      return `Point ${setting} at the API itself, not at a proxy or login page in front of it (try it with curl), then run again or \`kafka-ops resume\`.`;
    case 'timeout':
    case 'cut-off':
      return `Check that ${setting} answers (and the network to it); a slow API (or one behind a proxy that cuts long answers) may need a higher executor.requestTimeoutSeconds. Then run again or \`kafka-ops resume\`.`;
    default:
      return `Check the API behind ${setting} (and any proxy in front of it), then run again or \`kafka-ops resume\`.`;
  }
}
