/**
 * What the health probes share: one request at a time, asked now and every `intervalMs`, and a stop
 * that waits for the request under way (it could otherwise reconnect after its client was closed).
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private busy = false;
  private inflight?: Promise<void>;
  stopped = false;

  constructor(
    private readonly ask: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const tick = async () => {
      if (this.busy || this.stopped) return;
      this.busy = true;
      try {
        await (this.inflight = this.ask());
      } finally {
        this.busy = false;
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops asking and waits for the request under way: at most `boundMs` when given. */
  async stop(boundMs?: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (boundMs === undefined) return void (await this.inflight);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.inflight, new Promise((r) => (timer = setTimeout(r, boundMs)))]);
    clearTimeout(timer);
  }
}

/** `work`, or an error saying no answer came within `timeoutMs`. */
export async function answerWithin<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
