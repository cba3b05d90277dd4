/**
 * `load` run once and its result shared by every later call (a model, a manifest, a file read once per container).
 * A failure is not kept: the call that sees it rejects, and the next call runs `load` again, so one bad moment (a
 * read that failed, a file being replaced) does not fail every later request.
 */
export function onceUntilFailure<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const attempt = load();
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}
