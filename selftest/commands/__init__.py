"""One module per subcommand: HELP, configure(parser), run(args, env) -> int.

`env` (selftest.environment.Environment) holds the streams, whether they are terminals, and
the environment variables: commands use it, not `sys`.
"""
