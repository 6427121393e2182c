"""Log formats: the pattern language, its compiler to anchored regexes, and the built-in format files."""
