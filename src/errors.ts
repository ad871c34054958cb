/**
 * The errors apfcheck distinguishes, in one place. A UsageError or a
 * TraceFormatError is the user's to fix: the CLI prints its message as one
 * line and exits 2. A ModelError is ours: a broken invariant of the model or
 * the search, reported as an internal error. Nothing here imports anything,
 * so every room may throw these.
 */

/** Input a user can fix (a flag, a scope, a design or run file); the message says what was wrong and what is allowed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A trace file that cannot be used; the message names the file and the field. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
}

/** A modelling or engine invariant broke (a machine refused an event the system sent it, a memo claim failed): never user input. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
}

/** Whether `error` is one a user can fix (printed as one line, exit 2). */
export function isUserError(error: unknown): error is UsageError | TraceFormatError {
  return error instanceof UsageError || error instanceof TraceFormatError;
}

/**
 * `text` safe for a terminal: control characters (escape sequences, carriage
 * returns, a byte-order mark) are shown as `\u001b`-style escapes, so text
 * read from a file can neither move the cursor nor split a one-line message.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
