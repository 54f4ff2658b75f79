/**
 * The few ngshare REST calls the harness makes itself, through the hub's proxy
 * (`<hub>/services/ngshare/…`: ngshare's routes hang off its service prefix, as ngshare-exchange
 * reaches them), the way ngshare-exchange makes them: form-encoded, with the
 * calling user's own hub token. Used to give a scenario a course of its own (made by an ngshare
 * admin) and to remove it again; the tutorial's own commands never go through here.
 */
import { HarnessError } from './errors.js';

export class NgshareClient {
  constructor(
    /** The hub's public URL (the proxy), e.g. http://127.0.0.1:PORT */
    private readonly hubUrl: string,
    /** The calling user's hub token: ngshare asks the hub whose it is. */
    private readonly token: string,
    private readonly timeoutMs = 30_000,
  ) {}

  private async call(method: 'POST' | 'DELETE' | 'GET', path: string, form: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const url = `${this.hubUrl.replace(/\/$/, '')}/services/ngshare${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { Authorization: `token ${this.token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: method === 'GET' ? undefined : new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new HarnessError('ngshare', `${method} ${path} failed: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`);
    }
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // An answer from the proxy or the hub rather than ngshare (a 503 page): reported below.
    }
    if (!res.ok || body.success !== true) {
      throw new HarnessError('ngshare', `${method} ${path} answered ${res.status}: ${typeof body.message === 'string' ? body.message : text.slice(0, 200)}`);
    }
    return body;
  }

  /** POST /course/<id> (ngshare admins only), with its instructors. */
  async createCourse(courseId: string, instructors: string[]): Promise<void> {
    await this.call('POST', `/course/${encodeURIComponent(courseId)}`, { instructors: JSON.stringify(instructors) });
  }

  /** DELETE /course/<id> (ngshare admins only). */
  async deleteCourse(courseId: string): Promise<void> {
    await this.call('DELETE', `/course/${encodeURIComponent(courseId)}`);
  }

  /** POST /student/<course>/<student> (the course's instructors): what `add_student` does. */
  async addStudent(courseId: string, student: string): Promise<void> {
    await this.call('POST', `/student/${encodeURIComponent(courseId)}/${encodeURIComponent(student)}`, {
      first_name: student,
      last_name: '',
      email: '',
    });
  }

  /** GET /submissions/<course>/<assignment> (the course's instructors): every submission, a student's resubmissions included. */
  async submissions(courseId: string, assignmentId: string): Promise<Array<{ student: string; timestamp: string }>> {
    const body = await this.call('GET', `/submissions/${encodeURIComponent(courseId)}/${encodeURIComponent(assignmentId)}`);
    return ((body.submissions as Array<{ student_id: string; timestamp: string }> | undefined) ?? []).map((s) => ({
      student: s.student_id,
      timestamp: s.timestamp,
    }));
  }

  /** GET /courses: the courses the caller teaches or takes (every course, for an admin). */
  async courses(): Promise<string[]> {
    return ((await this.call('GET', '/courses')).courses as string[] | undefined) ?? [];
  }
}
