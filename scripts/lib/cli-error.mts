/**
 * The one error type the admin CLI and `pnpm dev` render: its message goes to stderr as is and its exit code
 * becomes the process's. Anything else thrown is unexpected and is printed with its stack.
 */

/** Exit code 1: the input was well-formed but could not be carried out (unknown organization, duplicate slug…). */
export const EXIT_FAILURE = 1;
/** Exit code 2: the command line itself is wrong (unknown command or option, missing or malformed value). */
export const EXIT_USAGE = 2;

/** An expected failure with a message that tells the user what to fix. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILURE | typeof EXIT_USAGE = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** A {@link CliError} with the usage exit code (2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}
