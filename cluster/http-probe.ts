/**
 * Readiness probes over HTTP for `waitFor`: each throws a short reason ("ECONNREFUSED", "HTTP 503")
 * while not ready, which the wait reports as the last state it saw.
 */

function causeOf(err: unknown): string {
  return (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
}

/** Any HTTP answer at all (the status does not matter): the port is served. */
export async function httpAnswers(url: string, timeoutMs = 5_000): Promise<true> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    return true;
  } catch (err) {
    throw new Error(causeOf(err), { cause: err });
  }
}

/** A 2xx answer. */
export async function httpOk(url: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<true> {
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(causeOf(err), { cause: err });
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return true;
}
