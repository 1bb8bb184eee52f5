/**
 * Work a service does once it listens (building the writer's book, the time indexes' ids by name,
 * one full collection) that takes tens to hundreds of ms. Run as one block, a request that arrived
 * meanwhile (a readiness probe, a dashboard) waited for all of it. Here each step does a part a
 * turn of the event loop and says whether more remains: a request waits for a part or two (the
 * turns its own reads take), not for the whole.
 */
export function inTurns(
  steps: readonly (() => boolean | void)[],
  onError: (error: unknown, step: number) => void,
): Promise<void> {
  return new Promise((done) => {
    let step = 0;
    const turn = () => {
      if (step >= steps.length) return done();
      let more = false;
      try {
        more = steps[step]!() === true;
      } catch (error) {
        onError(error, step);
      }
      if (!more) step++;
      // setImmediate: the next part runs after the poll phase, which answers what came in meanwhile.
      setImmediate(turn);
    };
    setImmediate(turn);
  });
}
