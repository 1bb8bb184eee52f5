/**
 * When the log was recorded: for knownAt, the last position recorded at or before an instant.
 *
 * Kept as runs, one per distinct recording time with the last position recorded then: a group
 * commit records many events at one instant, and a bulk import records thousands, so a long log
 * needs far fewer entries than events (the synthetic million, recorded in about a minute, a few
 * thousand). A log of one event per instant costs what a list of every event would. Times are
 * taken to grow with positions, as the store stamps them.
 */
import { Column, float64s, PositionColumn } from '../../projections/time-index/column.js';

export interface RecordingTimesExport {
  times: Float64Array;
  positions: Uint32Array | Int32Array | Float64Array;
}

export class RecordingTimes {
  private times: Column<Float64Array> = new Column(float64s);
  private positions = new PositionColumn();

  /** Notes that `position` was recorded at `time` (ms); positions come in order. */
  note(time: number, position: number): void {
    const last = this.times.length - 1;
    if (last >= 0 && this.times.at(last) === time) this.positions.set(last, position);
    else {
      this.times.push(time);
      this.positions.push(position);
    }
  }

  /** The last position recorded at or before `knownAt` (ms); 0 before the first event. */
  positionKnownAt(knownAt: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times.at(mid) <= knownAt) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.positions.at(lo - 1);
  }

  /** The last position noted; undefined before the first. */
  get lastPosition(): number | undefined {
    return this.positions.length === 0 ? undefined : this.positions.at(this.positions.length - 1);
  }

  export(): RecordingTimesExport {
    return { times: this.times.export(), positions: this.positions.export() };
  }

  /** From an export; a checkpoint's list of one entry per event is a list of runs as well. */
  static restore(data: RecordingTimesExport): RecordingTimes {
    const restored = new RecordingTimes();
    restored.times = Column.of(float64s, data.times);
    restored.positions = PositionColumn.restore(data.positions);
    return restored;
  }

  /** These runs and another share's of the same log (a worker's, say), merged by position. */
  mergedWith(other: RecordingTimesExport): RecordingTimes {
    const merged = new RecordingTimes();
    let [i, j] = [0, 0];
    while (i < this.positions.length || j < other.positions.length) {
      const a = i < this.positions.length ? this.positions.at(i) : Infinity;
      const b = j < other.positions.length ? other.positions[j]! : Infinity;
      if (a <= b) merged.note(this.times.at(i++), a);
      else merged.note(other.times[j++]!, b);
    }
    return merged;
  }
}
