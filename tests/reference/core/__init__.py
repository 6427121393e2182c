"""The pure line processor: a function of (line, clock value, key material, options)."""
