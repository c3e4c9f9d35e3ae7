"""Games: the builtin RNG slot engine and its command-line tools."""
