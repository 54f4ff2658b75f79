/**
 * What an interruption must undo while a rush runs, registered the moment it is made (setup
 * mirrors teardown): on this machine (ngshare's core affinity, the clients' homes) and on the stack
 * (the students' tokens, the classroom of a stack that stays up). Each undo runs once, whoever
 * asks first: the step that ends, or Ctrl-C.
 */
export type Undo = () => Promise<void>;

const registries = { machine: new Set<Undo>(), stack: new Set<Undo>() };

/** `fn` made idempotent: later calls get the first call's promise. */
export function once(fn: Undo): Undo {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

/** Registers an undo until the returned function is called (when the thing is undone in the normal course). */
export function whileRunning(where: keyof typeof registries, fn: Undo): () => void {
  registries[where].add(fn);
  return () => registries[where].delete(fn);
}

/** Runs every registered undo of `where`, newest first; failures are reported, not thrown. */
export async function undoAll(where: keyof typeof registries, report: (err: unknown) => void = () => undefined): Promise<void> {
  for (const fn of [...registries[where]].reverse()) {
    registries[where].delete(fn);
    await fn().catch(report);
  }
}
