"""The catalog's web pages (/catalog/)."""
