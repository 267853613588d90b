/**
 * Wakes long-polling fetches when data is appended. A waiter registers for a set of partition
 * keys (`topic:partition`) and is called once on the first append to any of them.
 */
export class AppendNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();

  static key(topic: string, partition: number): string {
    return `${topic}:${partition}`;
  }

  /** Returns a function that cancels the registration. */
  waitForAny(keys: readonly string[], wake: () => void): () => void {
    let fired = false;
    const once = () => {
      if (fired) return;
      fired = true;
      cancel();
      wake();
    };
    const cancel = () => {
      for (const key of keys) {
        const set = this.waiters.get(key);
        if (!set) continue;
        set.delete(once);
        if (set.size === 0) this.waiters.delete(key);
      }
    };
    for (const key of keys) {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      set.add(once);
    }
    return cancel;
  }

  notify(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    for (const wake of [...set]) wake();
  }
}
