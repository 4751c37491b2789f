/** Aborted on the first SIGINT or SIGTERM (installed by main.ts); commands pass its signal down. */
export const interrupt = new AbortController();
