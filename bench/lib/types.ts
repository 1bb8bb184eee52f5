/** The shapes shared by the runner and the scenarios. */

export interface BenchOptions {
  /** Seconds of measured load per server in a comparison, split over `rounds`. */
  durationS: number;
  /**
   * Ours and the baseline take turns (A B B A …) in this many rounds of
   * durationS / rounds each, so drift on a shared machine hits both alike.
   */
  rounds: number;
  /** Seconds of unmeasured load before each measured run. */
  warmupS: number;
  /** Concurrent connections for single-request scenarios. */
  connections: number;
  /** When set, every service child runs with `--cpu-prof` and writes its profile here. */
  profileDir: string | undefined;
}

export interface BenchContext extends BenchOptions {
  /** The repository root: children run with it as their working directory. */
  repoRoot: string;
  /** A temporary directory for this run; scenarios make fresh subdirectories under it. */
  runDir: string;
  /** Progress on stderr (the table goes to stdout). */
  log(message: string): void;
}

export interface Target {
  /** `>=`: higher is better (throughput); `<=`: lower is better (latency). */
  op: '>=' | '<=';
  value: number;
  /** What the target is on: `ours` (default, in the row's unit) or `ratio` (ours / baseline, e.g. 0.9). */
  on?: 'ours' | 'ratio';
}

/** One line of the table: our figure, beside a baseline measured in the same run. */
export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  ours: number;
  baseline?: { name: string; value: number };
  /** ours / baseline. */
  ratio?: number;
  target?: Target;
  /** Whether `ours` (or `ratio`, for a target on the ratio) meets `target`. */
  met?: boolean;
}

export interface ScenarioResult {
  rows: Row[];
  /** Everything else worth keeping in the JSON: full latency figures, CPU use, sizes. */
  details: Record<string, unknown>;
}

/**
 * One benchmark. Add a module under bench/scenarios/ exporting one of these and
 * list it in bench/scenarios/index.ts. A scenario measures its own baselines,
 * so `--only <id>` still prints ratios.
 */
export interface Scenario {
  /** What `--only` takes. */
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

export function row(fields: Omit<Row, 'ratio' | 'met'>): Row {
  const out: Row = { ...fields };
  if (fields.baseline && fields.baseline.value > 0) out.ratio = fields.ours / fields.baseline.value;
  if (fields.target) {
    const value = fields.target.on === 'ratio' ? out.ratio : fields.ours;
    out.met =
      value === undefined
        ? false
        : fields.target.op === '>='
          ? value >= fields.target.value
          : value <= fields.target.value;
  }
  return out;
}
