"""Log formats: the pattern language, its compiler to the native layout specs, and the built-in format files."""
