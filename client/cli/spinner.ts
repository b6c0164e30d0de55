/**
 * A one-line progress indicator for a TTY: it redraws itself in place while a run is queued or running, and clears
 * itself before any other output so rendered text never mixes with it.
 */
export class Spinner {
  private static readonly FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  private frame = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private shown = false;
  private label = "";
  private since = Date.now();

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly enabled: boolean,
  ) {}

  /** Shows (or relabels) the spinner. */
  set(label: string): void {
    if (!this.enabled) return;
    if (label !== this.label) this.since = Date.now();
    this.label = label;
    this.timer ??= setInterval(() => this.draw(), 100);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  /** Removes the spinner line (call before writing anything else). */
  clear(): void {
    if (!this.shown) return;
    this.out.write("\r\x1b[2K");
    this.shown = false;
  }

  /** Writes text above the spinner. */
  write(text: string): void {
    if (text === "") return;
    this.clear();
    this.out.write(text);
    this.atLineStart = text.endsWith("\n");
  }

  private draw(): void {
    // Only draw at the start of a line: mid-line (streamed text) the spinner would overwrite it.
    if (!this.atLineStart) return;
    const seconds = Math.floor((Date.now() - this.since) / 1000);
    this.out.write(
      `\r\x1b[2K\x1b[2m${Spinner.FRAMES[this.frame++ % Spinner.FRAMES.length]} ${this.label}${seconds > 0 ? ` · ${seconds}s` : ""}\x1b[22m`,
    );
    this.shown = true;
  }

  private atLineStart = true;
}
