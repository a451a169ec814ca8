/**
 * Says when the machine is overloaded: some camera dropped a frame (its analysis could not take
 * the next frame in time) within the last few seconds. Under overload the pipeline halves the
 * analysis rate of stable cameras (everyone in view already identified) first, so the cameras
 * where something is still to be decided keep their full rate. Nothing is ever queued: a camera
 * holds at most one frame waiting (see CameraSource).
 */
export class LoadGovernor {
  private dropped = -1;
  private until = 0;

  constructor(private readonly holdMs = 5000) {}

  /** Feeds the total of dropped frames so far; returns whether the machine counts as overloaded. */
  observe(totalDropped: number, now: number): boolean {
    if (this.dropped >= 0 && totalDropped > this.dropped) this.until = now + this.holdMs;
    this.dropped = totalDropped;
    return now < this.until;
  }

  get overloaded(): boolean {
    return Date.now() < this.until;
  }
}

/** Whether a stable camera analyses this frame under overload: every other one. */
export function reducedTurn(frameNo: number): boolean {
  return frameNo % 2 === 0;
}
