// What a command writes to, so tests and the binary share the commands.
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  /** Aborted on Ctrl-C / SIGTERM: long-running commands stop cleanly. */
  signal: AbortSignal;
}
