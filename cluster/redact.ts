/**
 * Secret redaction for everything the harness writes or prints. Each secret is registered once,
 * when it is generated or read; every transcript, log copy, report attachment and error message
 * passes through `redact` before it leaves the process.
 */
const secrets = new Set<string>();

export const REDACTED = '[redacted]';

export function registerSecret(value: string | undefined): void {
  // Short values would blank out ordinary words; every secret the harness makes is long.
  if (value && value.length >= 8) secrets.add(value);
}

export function registerSecrets(values: Iterable<string | undefined>): void {
  for (const v of values) registerSecret(v);
}

/** Patterns that are secrets whoever made them: hub tokens in headers, URLs and env dumps. */
const patterns: RegExp[] = [
  /(Authorization:\s*(?:token|Bearer)\s+)[^\s'"]+/gi,
  /([?&](?:token|_xsrf|code|state)=)[^&\s'"]+/gi,
  /((?:API_TOKEN|AUTH_TOKEN|COOKIE_SECRET|hub_api_token|api_token|PASSWORD)["']?\s*[=:]\s*["']?)[^\s'",}]{8,}/gi,
];

export function redact(text: string): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
  for (const p of patterns) out = out.replace(p, `$1${REDACTED}`);
  return out;
}

/** Deep copy of a JSON-like value with every string redacted and secret-named keys masked. */
export function redactValue<T>(value: T): T {
  const secretKey = /(token|secret|password)$/i;
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') return key && secretKey.test(key) && v ? REDACTED : redact(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    return v;
  };
  return walk(value) as T;
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  secrets.clear();
}
