// The one error a command throws for a failure it explains itself (exit
// status 1, the whole message printed). Usage errors (exit 2) are
// UsageError from core/config.
export class Failure extends Error {}
