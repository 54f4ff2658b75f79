/**
 * The ledger of what a run created, written the moment each thing exists (setup mirrors teardown),
 * so that `down` and the reaper can remove it even after a crash.
 */
import fs from 'node:fs';

export type Resource =
  | { kind: 'process'; name: string; pid: number; /** process group leader, killed as a group */ pgid: number }
  | { kind: 'kind-cluster'; name: string }
  | { kind: 'namespace'; name: string; context?: string }
  | { kind: 'helm-release'; name: string; namespace: string; context?: string }
  | { kind: 'hub-user'; name: string }
  /** A hub token the run minted for a user it did not create (deleted at teardown). */
  | { kind: 'hub-token'; user: string; id: string }
  /** A course the run made in ngshare (deleted at teardown where an ngshare admin can). */
  | { kind: 'ngshare-course'; courseId: string }
  /** A stack of its own that a scenario brought up (a troubleshooting case); torn down with this run. */
  | { kind: 'run'; runId: string; stateDir: string }
  | { kind: 'port-forward'; pid: number };

export class Ledger {
  constructor(private readonly file: string) {}

  list(): Resource[] {
    return fs.existsSync(this.file) ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as Resource[]) : [];
  }

  record(resource: Resource): void {
    fs.writeFileSync(this.file, JSON.stringify([...this.list(), resource], null, 2));
  }

  /** Records it unless an equal entry is there already (a step that is retried). */
  recordOnce(resource: Resource): void {
    const same = JSON.stringify(resource);
    if (!this.list().some((r) => JSON.stringify(r) === same)) this.record(resource);
  }

  forget(predicate: (r: Resource) => boolean): void {
    fs.writeFileSync(
      this.file,
      JSON.stringify(
        this.list().filter((r) => !predicate(r)),
        null,
        2,
      ),
    );
  }

  isEmpty(): boolean {
    return this.list().length === 0;
  }
}
