"""One module per `lingyin` subcommand."""
