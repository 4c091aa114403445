/**
 * A `reprise-collector <name> ...` command other than serving (`keys`, `dead-letters`): the
 * arguments after its name, the environment it reads the collector's settings from, where it
 * prints; it resolves to the process exit code.
 */
export type Subcommand = (
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  print?: (line: string) => void,
) => Promise<number>;
